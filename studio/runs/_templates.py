"""Finding a template by what a person types: a bundled or stored name, or a file path."""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from studio.spec import (
    SpecError,
    TemplateSpec,
    bundled_template_names,
    load_bundled_template,
    load_template,
)

from ._errors import RunError

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Actor, Store

_FILE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class TemplateChoice:
    """A template people can run: ``key`` is what to type (bundled: the file name)."""

    key: str
    name: str
    pattern: str
    description: str
    origin: str  # bundled | stored
    owner: str = ""  # who made a stored one ("" for your own or the personal-mode user)


def template_choices(store: Store | None, registry: Registry,
                     actor: Actor | None = None) -> list[TemplateChoice]:
    """Bundled templates (by file name) then the stored ones the actor sees (by name),
    each with its pattern. ``actor`` is required with a store."""
    choices: list[TemplateChoice] = []
    for key in bundled_template_names():
        spec = load_bundled_template(key, registry=registry)
        choices.append(TemplateChoice(key, spec.name, str(spec.pattern.kind.value),
                                      _one_line(spec.description), "bundled"))
    if store is not None:
        assert actor is not None, "template_choices: give the acting user with a store"
        for info in store.list_templates(actor):
            document = store.template_document(actor, info.name, owner_id=info.owner_id)
            pattern = (document.get("pattern") or {}).get("kind", "?")
            owner = "" if actor.is_owner(info.owner_id) else info.owner_name
            choices.append(TemplateChoice(info.name, info.name, str(pattern),
                                          _one_line(info.description or
                                                    str(document.get("description", ""))),
                                          "stored", owner))
    return choices


def find_template(ref: str, *, store: Store | None, registry: Registry,
                  actor: Actor | None = None) -> tuple[str, TemplateSpec]:
    """``(template name, validated spec)`` for a file path, a stored template's name, a
    bundled template's file name or its display name (case does not matter for those).

    Raises ``RunError`` naming close matches when nothing fits, ``SpecError`` when the
    template found does not validate (a file's problems name it as their ``source``, with
    their lines). Stored templates are those the ``actor`` sees.
    """
    path = Path(ref).expanduser()
    if path.suffix.lower() in _FILE_SUFFIXES or path.is_file():
        if not path.is_file():
            raise RunError(f"template file {ref} does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RunError(f"cannot read template file {ref}: {exc}") from exc
        try:
            spec = load_template(text, registry=registry)
        except SpecError as exc:
            raise SpecError([dataclasses.replace(p, source=ref) for p in exc.problems],
                            text=exc.text) from None
        return spec.name, spec
    if store is not None:
        from studio.store import NotFound

        assert actor is not None, "find_template: give the acting user with a store"
        try:
            version = store.get_template(actor, ref)
        except NotFound:
            pass
        else:
            return ref, load_template(version.document, registry=registry)
    wanted = _folded(ref)
    names: list[str] = []
    for key in bundled_template_names():
        spec = load_bundled_template(key, registry=registry)
        if wanted in (_folded(key), _folded(spec.name)):
            return spec.name, spec
        names += [key, spec.name]
    if store is not None:
        for info in store.list_templates(actor):  # type: ignore[arg-type]
            if _folded(info.name) == wanted:
                document = store.template_document(actor, info.name,  # type: ignore[arg-type]
                                                   owner_id=info.owner_id)
                return info.name, load_template(document, registry=registry)
            names.append(info.name)
    by_folded = {_folded(n): n for n in reversed(names)}
    close = [by_folded[n] for n in difflib.get_close_matches(wanted, list(by_folded), n=3,
                                                             cutoff=0.5)]
    hint = f"; did you mean {', '.join(repr(n) for n in close)}?" if close else ""
    raise RunError(f"unknown template {ref!r}{hint} (`roundtable templates list` shows them all)")


def _folded(name: str) -> str:
    """A name as people may type it: any case, '-', '_' and spaces alike
    (``retrieval_qa``, ``Retrieval-augmented question answering``)."""
    return " ".join(re.sub(r"[-_\s]+", " ", name).casefold().split())


def _one_line(text: str) -> str:
    return " ".join(text.split())

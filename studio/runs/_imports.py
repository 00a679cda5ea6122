"""Importing template files into the store: the one way in, for the Gallery and the CLI.

:func:`plan_import` reads a file (ours, a bundle, AutoGen Studio 0.4 or 0.2) and says, per
template, what would happen; nothing is stored. :func:`apply_import` stores a good plan, all
of it or nothing.

The name rule, the same everywhere: an import never changes a template that is already
there. A free name is kept. A name already used (by a bundled template, one of yours, or one
in the trash; case does not matter) gets " (imported)", then " (imported 2)", ... — unless
that template (or an earlier import of it) already holds exactly the same team: then nothing
is added, so importing a file twice gives one copy.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.spec import (
    Problem,
    SpecError,
    TemplateSpec,
    bundled_templates,
    import_file,
    load_template,
)

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Actor, Store

__all__ = ["ImportItem", "ImportPlan", "apply_import", "plan_import"]

ADD, RENAME, UNCHANGED = "add", "rename", "unchanged"


@dataclass(frozen=True)
class ImportItem:
    """One template of a file and what the import does with it."""

    spec: TemplateSpec  # as it will be stored: ``spec.name`` is the name it gets
    name_in_file: str
    action: str  # add | rename | unchanged
    why: str  # for rename / unchanged: what holds the name
    source_format: str
    mapped: tuple[str, ...] = ()
    not_mapped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.spec.name

    def plan_line(self) -> str:
        """What will happen, in one sentence (shown before anything is added)."""
        if self.action == UNCHANGED:
            return f"{self.name_in_file!r}: already in your templates as {self.name!r} " \
                   f"({self.why}); nothing to add"
        if self.action == RENAME:
            return f"{self.name_in_file!r} will be added as {self.name!r}: {self.why}, " \
                   "which stays as it is"
        return f"{self.name!r} will be added"


@dataclass
class ImportPlan:
    """What a file holds and what importing it would do; ``problems`` when it cannot.

    ``errors`` holds the same problems as found (with the line of the file each is on,
    when known) and ``text`` the file's text those lines are in ("" when the problems are
    not about places in the text, e.g. in a converted AutoGen Studio team)."""

    filename: str
    source_format: str = ""
    items: list[ImportItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file: path: message" each
    errors: list[Problem] = field(default_factory=list)
    text: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)

    @property
    def to_add(self) -> list[ImportItem]:
        return [item for item in self.items if item.action != UNCHANGED]


def plan_import(content: bytes | str, filename: str, *, store: Store, actor: Actor,
                registry: Registry | None) -> ImportPlan:
    """Read a template file and plan its import into the actor's templates; never raises
    for a bad file, stores nothing."""
    try:
        found = import_file(content, filename, registry=registry)
    except SpecError as exc:
        errors = exc.errors or exc.problems
        return ImportPlan(filename, problems=[str(p) for p in errors] or [str(exc)],
                          errors=errors, text=exc.text or "")
    except (ValueError, UnicodeDecodeError) as exc:
        return ImportPlan(filename, problems=[f"{filename}: {exc}"])
    if not found.reports:
        return ImportPlan(filename, found.source_format,
                          problems=[f"{filename}: the file holds no templates"])
    try:
        items = _name_items(found.reports, found.source_format, store, actor, registry)
    except SpecError as exc:  # a renamed template that no longer validates
        errors = exc.errors or exc.problems
        return ImportPlan(filename, found.source_format, problems=[str(p) for p in errors],
                          errors=errors)
    return ImportPlan(filename, found.source_format, items)


def apply_import(plan: ImportPlan, *, store: Store, actor: Actor, registry: Registry | None
                 ) -> list[ImportItem]:
    """Store the templates of a good plan; returns every item with the name it ended under.

    Names are worked out again against the store as it is now (someone may have saved a
    template since the plan was shown), and every document is checked before the first is
    written: a problem leaves the store untouched.
    """
    if not plan.ok:
        raise ValueError("the file has problems; nothing was imported")
    reports = [_Report(item) for item in plan.items]
    items = _name_items(reports, plan.source_format, store, actor, registry)
    for item in items:
        if item.action == UNCHANGED:
            continue
        store.save_template(actor, item.name, item.spec.to_dict(), description=item.spec.description,
                            tags=tuple(item.spec.tags), note=f"imported from {plan.filename}")
    return items


@dataclass
class _Report:
    """An already planned item, fed back into the naming (same shape as an ImportReport)."""

    item: ImportItem

    @property
    def spec(self) -> TemplateSpec:
        return self.item.spec.model_copy(update={"name": self.item.name_in_file})

    @property
    def source_format(self) -> str:
        return self.item.source_format

    @property
    def mapped(self) -> tuple[str, ...]:
        return self.item.mapped

    @property
    def not_mapped(self) -> tuple[str, ...]:
        return self.item.not_mapped

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.item.warnings


class _Names:
    """Every name in use, what holds it, and the team it holds (compared without names)."""

    def __init__(self, store: Store, actor: Actor, registry: Registry | None) -> None:
        self.store = store
        self.actor = actor
        self.registry = registry
        self.holders: dict[str, str] = {}  # casefolded name -> "a bundled template 'X'", ...
        self.actual: dict[str, str] = {}  # casefolded -> the name as spelled
        self._teams: dict[str, dict[str, Any] | None] = {}
        self.bundled = {spec.name.casefold(): spec for spec in
                        _bundled(registry).values()}
        for spec in self.bundled.values():
            self._hold(spec.name, f"a bundled template is named {spec.name!r}")
        own = [info for info in store.list_templates(actor, include_deleted=True)
               if actor.is_owner(info.owner_id)]  # names are per person
        live = {info.name for info in own if info.deleted_at is None}
        for info in own:
            where = "you have a template" if info.name in live else "a template in the trash is"
            self._hold(info.name, f"{where} named {info.name!r}")

    def _hold(self, name: str, why: str) -> None:
        self.holders.setdefault(name.casefold(), why)
        self.actual.setdefault(name.casefold(), name)

    def team(self, name: str) -> dict[str, Any] | None:
        """The template's content under ``name`` (its name left out), None if unreadable."""
        key = name.casefold()
        if key not in self._teams:
            self._teams[key] = None
            if key in self.bundled:
                self._teams[key] = _without_name(self.bundled[key].to_dict())
            else:
                try:
                    document = self.store.template_document(
                        self.actor, self.actual[key], owner_id=self.actor.id)
                    self._teams[key] = _without_name(
                        load_template(document, registry=self.registry).to_dict())
                except Exception:  # noqa: BLE001 - a stored template that no longer loads
                    pass
        return self._teams[key]

    def place(self, spec: TemplateSpec) -> tuple[str, str, str]:
        """``(action, name, why)`` for a template named as in its file."""
        wanted = spec.name
        if wanted.casefold() not in self.holders:
            return ADD, wanted, ""
        team = _without_name(spec.to_dict())
        candidate, number = wanted, 1
        while candidate.casefold() in self.holders:
            if self.team(candidate) == team:
                return UNCHANGED, self.actual[candidate.casefold()], "the same team"
            candidate = f"{wanted} (imported)" if number == 1 else \
                f"{wanted} (imported {number})"
            number += 1
        return RENAME, candidate, self.holders[wanted.casefold()]

    def take(self, name: str, spec: TemplateSpec, why: str) -> None:
        self._hold(name, why)
        self._teams[name.casefold()] = _without_name(spec.to_dict())


def _name_items(reports: Iterable[Any], source_format: str, store: Store, actor: Actor,
                registry: Registry | None) -> list[ImportItem]:
    names = _Names(store, actor, registry)
    items = []
    for report in reports:
        spec: TemplateSpec = report.spec
        action, name, why = names.place(spec)
        if action != UNCHANGED:
            if name != spec.name:
                document = spec.to_dict()
                document["name"] = name
                spec = load_template(document, registry=registry)
            names.take(name, spec, f"another template of this file is named {name!r}")
        else:
            spec = spec.model_copy(update={"name": name})
        items.append(ImportItem(spec, report.spec.name, action, why,
                                report.source_format or source_format, tuple(report.mapped),
                                tuple(report.not_mapped), tuple(report.warnings)))
    return items


def _without_name(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "name"}


@functools.lru_cache(maxsize=4)
def _bundled(registry: Registry | None) -> dict[str, TemplateSpec]:
    return bundled_templates(registry=registry)

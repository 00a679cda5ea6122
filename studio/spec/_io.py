"""Loading and dumping templates (YAML / JSON), and the bundled templates."""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

import yaml

from ._models import TemplateSpec
from ._problems import Problem, SpecError
from ._resources import bundled_dir
from ._validate import validate

if TYPE_CHECKING:
    from .registry import Registry


@functools.lru_cache(maxsize=1)
def _bundled_registry() -> Registry:
    from .registry import Registry

    return Registry.bundled()


def default_registry() -> Registry:
    """The registry of bundled components (shared; do not add to it, make your own)."""
    return _bundled_registry()


# libyaml's parser when PyYAML has it: the pure-Python one costs most of `templates list`.
YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_text(text: str) -> Any:
    """Parse YAML or JSON text (JSON is YAML) into plain data; a SpecError if it does not parse."""
    try:
        return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        pass
    try:  # the pure-Python parser points at the problem more precisely than libyaml
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([Problem("", f"not valid YAML/JSON{where}: {problem}")]) from exc


def load_template(doc_or_text: dict[str, Any] | str | TemplateSpec, *,
                  registry: Registry | None = None) -> TemplateSpec:
    """A validated template from a dict, YAML/JSON text or a spec.

    Raises :class:`SpecError` listing every problem when there is any error (warnings
    alone do not stop loading).
    """
    registry = registry or default_registry()
    if isinstance(doc_or_text, str):
        doc: Any = parse_text(doc_or_text)
    elif isinstance(doc_or_text, TemplateSpec):
        doc = doc_or_text.to_dict()
    else:
        doc = doc_or_text
    problems = validate(doc, registry=registry)
    if any(p.severity == "error" for p in problems):
        raise SpecError(problems)
    return TemplateSpec.model_validate(doc)


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, keys in the model's order."""


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value:
        text = "\n".join(line.rstrip() for line in value.split("\n"))
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str_representer)


def dump_yaml(spec: TemplateSpec) -> str:
    return yaml.dump(spec.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                     width=100)


def dump_json(spec: TemplateSpec, *, indent: int | None = 2) -> str:
    return json.dumps(spec.to_dict(), indent=indent, ensure_ascii=False)


def bundled_template_names() -> list[str]:
    """File names (without ``.yaml``) of the bundled templates, sorted."""
    root = bundled_dir("templates")
    return sorted(e.name[:-5] for e in root.iterdir() if e.name.endswith(".yaml"))


def load_bundled_template(name: str, *, registry: Registry | None = None) -> TemplateSpec:
    """A bundled template by file name, e.g. ``load_bundled_template("code_assistant")``."""
    entry = bundled_dir("templates") / f"{name}.yaml"
    if not entry.is_file():
        known = ", ".join(bundled_template_names())
        raise KeyError(f"no bundled template {name!r}; bundled: {known}")
    try:
        return load_template(entry.read_text(encoding="utf-8"), registry=registry)
    except SpecError as exc:
        raise SpecError([Problem(f"templates/{name}.yaml: {p.path}".rstrip(": "), p.message,
                                 p.agent, p.field, p.severity) for p in exc.problems]) from exc


def bundled_templates(*, registry: Registry | None = None) -> dict[str, TemplateSpec]:
    return {n: load_bundled_template(n, registry=registry) for n in bundled_template_names()}

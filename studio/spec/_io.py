"""Loading and dumping templates (YAML / JSON), and the bundled templates."""

from __future__ import annotations

import dataclasses
import functools
import json
from typing import TYPE_CHECKING, Any

import yaml

from ._locate import locate_problems
from ._models import TemplateSpec
from ._problems import Problem, SpecError
from ._resources import bundled_dir
from ._validate import MAX_DOCUMENT_BYTES, validate

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


MAX_TEMPLATE_BYTES = MAX_DOCUMENT_BYTES  # a template (agents, tools, documents) fits in 2 MB
MAX_DEPTH = 64  # a template nests a dozen levels; deeper is not a template


def parse_text(text: str, *, max_bytes: int = MAX_TEMPLATE_BYTES) -> Any:
    """Parse YAML or JSON text (JSON is YAML) into plain data; a SpecError if it does not
    parse, is larger than ``max_bytes``, nests deeper than :data:`MAX_DEPTH` levels or uses
    YAML aliases (checked before parsing: deep nesting crashes libyaml's loader, and aliases
    can make a small file expand into a huge one)."""
    size = len(text.encode("utf-8", "replace"))
    if size > max_bytes:
        raise SpecError([Problem("", f"the text is {_megabytes(size)}; a template is at most "
                                     f"{_megabytes(max_bytes)}")])
    if text.lstrip()[:1] in ("{", "["):  # JSON: the json module reads it ten times faster
        try:
            data = json.loads(text)
        except RecursionError:
            raise SpecError([Problem("", _TOO_DEEP)]) from None
        except ValueError:
            pass  # YAML flow style, or broken: the YAML parser says where
        else:
            if _depth_over(data, MAX_DEPTH):
                raise SpecError([Problem("", _TOO_DEEP)])
            return data
    _check_structure(text)
    try:
        return yaml.load(text, Loader=YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        pass
    try:  # the pure-Python parser points at the problem more precisely than libyaml
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        where = f" (line {line}, column {column})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([Problem("", f"not valid YAML/JSON{where}: {problem}", line=line,
                                 column=column)], text=text) from exc
    except RecursionError:
        raise SpecError([Problem("", _TOO_DEEP)]) from None


_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep: a template nests at most {MAX_DEPTH} levels"


def _depth_over(data: Any, limit: int) -> bool:
    """Whether lists and mappings nest more than ``limit`` levels (without recursing)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth >= limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items if isinstance(item, (dict, list)))
    return False


_OPENERS = (yaml.BlockSequenceStartToken, yaml.BlockMappingStartToken,
            yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)


def _check_structure(text: str) -> None:
    """Nesting depth and aliases, from the scanner's tokens (it does not recurse)."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=YAML_LOADER):
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecError([Problem("", _TOO_DEEP)])
            elif isinstance(token, _CLOSERS):
                depth -= 1
            elif isinstance(token, yaml.AliasToken):
                raise SpecError([Problem("", f"YAML aliases (*{token.value}) are not supported "
                                             "in templates: write the value out")])
    except yaml.YAMLError:
        return  # the parser below says where the text is broken


def _megabytes(size: int) -> str:
    if size < 100_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f}".removesuffix(".0") + " MB"


def load_template(doc_or_text: dict[str, Any] | str | TemplateSpec, *,
                  registry: Registry | None = None) -> TemplateSpec:
    """A validated template from a dict, YAML/JSON text or a spec.

    Raises :class:`SpecError` listing every problem when there is any error (warnings
    alone do not stop loading); read from text, each problem carries its line in the text
    when it has one, and the error carries the text.
    """
    registry = registry or default_registry()
    text = doc_or_text if isinstance(doc_or_text, str) else None
    if text is not None:
        doc: Any = parse_text(text)
    elif isinstance(doc_or_text, TemplateSpec):
        doc = doc_or_text.to_dict()
    else:
        doc = doc_or_text
    problems = validate(doc, registry=registry)
    if any(p.severity == "error" for p in problems):
        if text is not None:
            raise SpecError(locate_problems(text, problems), text=text)
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
        raise SpecError([dataclasses.replace(p, source=f"templates/{name}.yaml")
                         for p in exc.problems], text=exc.text) from exc


def bundled_templates(*, registry: Registry | None = None) -> dict[str, TemplateSpec]:
    return {n: load_bundled_template(n, registry=registry) for n in bundled_template_names()}

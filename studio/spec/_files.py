"""Templates as files: one template as JSON or YAML, or every template in one bundle.

Plain data in, plain data out: the store, UI and CLI decide where files come from and
where specs go. :func:`import_file` sniffs what it is given (our YAML/JSON template, a
bundle, an AutoGen Studio 0.4 team or gallery, a 0.2 workflow). A bad file raises
:class:`SpecError` naming the file (each problem's ``source``), the place and, in one of our
own files, its line; nothing is half-imported.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ._autogen_import import ImportReport, import_autogen, is_autogen_document
from ._io import dump_json, dump_yaml, load_template, parse_text
from ._locate import locate_problems
from ._models import FORMAT_VERSION, TemplateSpec
from ._problems import Problem, SpecError
from ._tool_source import sandbox_notes

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["BUNDLE_KIND", "FileImport", "FileFormat", "export_bundle", "export_bundle_text",
           "export_file", "file_name_for", "import_bundle", "import_file"]

FileFormat = Literal["json", "yaml"]
T = TypeVar("T")
BUNDLE_KIND = "roundtable-bundle"
_MAX_BYTES = 20 * 1024 * 1024


@dataclass
class FileImport:
    """What one file held: a report per template, and the format that was recognised."""

    source_format: str  # roundtable | roundtable-bundle | autogen-0.4 | autogen-0.2
    reports: list[ImportReport]

    @property
    def specs(self) -> list[TemplateSpec]:
        return [r.spec for r in self.reports]

    @property
    def spec(self) -> TemplateSpec:
        """The one template of a single-template file."""
        if len(self.reports) != 1:
            raise ValueError(f"the file holds {len(self.reports)} templates; use .specs")
        return self.reports[0].spec


# -- export -----------------------------------------------------------------------------
def export_file(spec: TemplateSpec, fmt: FileFormat = "yaml") -> str:
    """One template as YAML or JSON text (what :func:`import_file` reads back unchanged)."""
    if fmt == "yaml":
        return dump_yaml(spec)
    if fmt == "json":
        return dump_json(spec) + "\n"
    raise ValueError(f"unknown export format {fmt!r}: use 'yaml' or 'json'")


def file_name_for(spec: TemplateSpec, fmt: FileFormat = "yaml") -> str:
    """A safe file name for a template, e.g. ``code_assistant.yaml``."""
    stem = re.sub(r"[^a-z0-9]+", "_", spec.name.lower()).strip("_")[:60] or "template"
    return f"{stem}.{fmt}"


def export_bundle(templates: Iterable[TemplateSpec]) -> dict[str, Any]:
    """Every given template in one JSON-ready dict (a backup of the template library)."""
    specs = list(templates)
    _check_unique([s.name for s in specs], "")
    return {"kind": BUNDLE_KIND, "format": FORMAT_VERSION, "count": len(specs),
            "templates": [s.to_dict() for s in specs]}


def export_bundle_text(templates: Iterable[TemplateSpec], fmt: FileFormat = "json") -> str:
    """:func:`export_bundle` as JSON (default) or YAML text."""
    import json

    import yaml

    data = export_bundle(templates)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown export format {fmt!r}: use 'yaml' or 'json'")


# -- import -----------------------------------------------------------------------------
def import_bundle(data: dict[str, Any] | list[Any] | str | bytes, *, source: str = "",
                  registry: Registry | None = None) -> list[TemplateSpec]:
    """The templates of a bundle (dict, list of templates, or its text); all or nothing."""
    if isinstance(data, (str, bytes)):
        parsed, text = _parse(data, source)
        return [r.spec for r in _located(text, lambda: _bundle(parsed, source, registry))]
    return [r.spec for r in _bundle(data, source, registry)]


def import_file(content: str | bytes, filename: str = "", *,
                registry: Registry | None = None) -> FileImport:
    """Read a template file of any supported kind (see the module docstring)."""
    data, text = _parse(content, filename)
    if isinstance(data, list) or (isinstance(data, dict) and data.get("kind") == BUNDLE_KIND):
        return FileImport("roundtable-bundle",
                          _located(text, lambda: _bundle(data, filename, registry)))
    autogen = is_autogen_document(data)
    if autogen is not None:  # its problems are in the converted template, not in the text
        return FileImport(autogen, import_autogen(data, source=filename, registry=registry))
    if not isinstance(data, dict):
        raise SpecError([Problem("", "expected a template (a mapping of fields), a bundle or "
                                     f"an AutoGen Studio team; got {type(data).__name__}",
                                 source=filename)])
    if "pattern" not in data and "format" not in data:
        raise SpecError([Problem("", "not a template: a Roundtable template has 'format: 1' "
                                     "and a 'pattern'; an AutoGen Studio team has 'provider' "
                                     "and 'component_type'", source=filename)])
    spec = _located(text, lambda: _load(data, filename, "", registry))
    return FileImport("roundtable", [ImportReport(spec=spec, mapped=[f"template {spec.name!r}"],
                                                  source_format="roundtable")])


def _located(text: str, read: Callable[[], T]) -> T:
    """What ``read`` returns; its problems, if any, with their lines in ``text``."""
    try:
        return read()
    except SpecError as exc:
        raise SpecError(locate_problems(text, exc.problems), text=text) from None


_PYTHON_SUFFIXES = (".py", ".python", ".pyw", ".ipynb")


def _is_python(content: str | bytes, source: str) -> bool:
    """A Python script (our export or any other), by its name or its first line."""
    if source.lower().endswith(_PYTHON_SUFFIXES):
        return True
    head = content[:300].decode("utf-8", "replace") if isinstance(content, bytes) \
        else content[:300]
    first = head.lstrip("\ufeff").lstrip().split("\n", 1)[0]
    return (first.startswith("#!") and "python" in first) or \
        "(exported from Roundtable Studio)" in first


def _looks_like_python(text: str) -> bool:
    """Text that is not YAML but is a Python program (checked after YAML failed)."""
    if len(text) > 2_000_000 or not re.search(r"^(import |from \S+ import |def |class )",
                                               text, re.MULTILINE):
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _python_export(source: str) -> SpecError:
    return SpecError([Problem("", "Python exports cannot be imported: a script is code, not a "
                                  "template. Import the template's YAML or JSON export "
                                  "instead (`roundtable templates export NAME --format yaml`, "
                                  "or Download YAML in the Gallery)", source=source)])


def _parse(content: str | bytes, source: str) -> tuple[Any, str]:
    """The file's data and its text (which the problems' lines refer to)."""
    if _is_python(content, source):
        raise _python_export(source)
    if isinstance(content, bytes):
        if len(content) > _MAX_BYTES:
            raise SpecError([Problem("", "the file is larger than 20 MB: not a template",
                                     source=source)])
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SpecError([Problem("", f"not UTF-8 text (byte {exc.start}): templates are "
                                         "YAML or JSON text files", source=source)]) from None
    if not content.strip():
        raise SpecError([Problem("", "the file is empty", source=source)])
    text = content.lstrip("\ufeff")
    try:
        data = parse_text(text, max_bytes=_MAX_BYTES)  # maybe a bundle
    except SpecError as exc:
        if _looks_like_python(content):
            raise _python_export(source) from None
        raise _prefixed(exc, source, "") from None
    if _looks_like_python(content):  # a script can also read as YAML (one string, a mapping)
        raise _python_export(source)
    return data, text


def _bundle(data: Any, source: str, registry: Registry | None) -> list[ImportReport]:
    items: Any
    if isinstance(data, list):
        items, key = data, ""
    elif isinstance(data, dict):
        if data.get("kind") not in (None, BUNDLE_KIND):
            raise SpecError([Problem("kind", f"expected {BUNDLE_KIND!r}, got "
                                             f"{data.get('kind')!r}", source=source)])
        if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
            raise SpecError([Problem("format", f"unsupported bundle format "
                                               f"{data.get('format')!r}; this studio reads "
                                               f"format {FORMAT_VERSION}", source=source)])
        items, key = data.get("templates"), "templates"
        if not isinstance(items, list):
            raise SpecError([Problem("templates", "a bundle needs a list of templates",
                                     source=source)])
    else:
        raise SpecError([Problem("", "a bundle is a mapping with a 'templates' list",
                                 source=source)])
    problems: list[Problem] = []
    reports: list[ImportReport] = []
    for i, item in enumerate(items):
        try:
            spec = _load(item, source, f"{key}[{i}]", registry)
        except SpecError as exc:
            problems.extend(exc.problems)
            continue
        reports.append(ImportReport(spec=spec, mapped=[f"template {spec.name!r}"],
                                    warnings=sandbox_notes(spec), source_format="roundtable"))
    problems += _check_unique([r.spec.name for r in reports], source, raise_now=False)
    if problems:
        raise SpecError(problems)
    return reports


def _load(doc: Any, source: str, base: str, registry: Registry | None) -> TemplateSpec:
    if not isinstance(doc, dict):
        raise SpecError([Problem(base, "a template must be a mapping of fields", source=source)])
    try:
        return load_template(doc, registry=registry)
    except SpecError as exc:
        raise _prefixed(exc, source, base) from None


def _check_unique(names: list[str], source: str, *, raise_now: bool = True) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for name in names:
        if name in seen:
            problems.append(Problem("", f"two templates are named {name!r}: template names "
                                        "must be unique in a bundle", source=source))
        seen.add(name)
    if problems and raise_now:
        raise ValueError(problems[0].message)
    return problems


def _prefixed(exc: SpecError, source: str, base: str) -> SpecError:
    """The problems of the template at ``base`` of the file ``source``, with paths from the
    file's top (``templates[2].name`` of ``backup.json``)."""
    def path(p: Problem) -> str:
        return f"{base}.{p.path}" if base and p.path and not p.path.startswith("[") else \
            f"{base}{p.path}"

    return SpecError([dataclasses.replace(p, path=path(p), source=source)
                      for p in exc.problems], text=exc.text)

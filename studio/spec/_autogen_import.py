"""Import AutoGen Studio teams: the 0.4 component JSON and the 0.1/0.2 workflow JSON.

:func:`import_autogen` turns one parsed document into :class:`ImportReport` objects (a
gallery may hold several teams). Everything that could be mapped is listed in
``mapped``, what could not in ``not_mapped``; API keys are never imported (the model
gets an ``api_key_env`` reference instead and a warning says so). A file that cannot be
imported raises :class:`SpecError` naming the place (``team.json: config.participants[1]
.config.model_client: unknown provider 'x'``) before anything is returned.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._io import load_template
from ._models import TemplateSpec
from ._problems import Problem, SpecError
from ._tool_source import sandbox_notes

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["ImportReport", "import_autogen", "is_autogen_document"]


@dataclass
class ImportReport:
    """One imported template and what happened on the way in."""

    spec: TemplateSpec
    mapped: list[str] = field(default_factory=list)
    not_mapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source_format: str = "roundtable"  # roundtable | autogen-0.4 | autogen-0.2

    def summary(self) -> str:
        """One line for a UI toast or the CLI."""
        text = f"imported {self.spec.name!r} ({self.source_format}): {len(self.mapped)} mapped"
        if self.not_mapped:
            text += f", {len(self.not_mapped)} not mapped"
        if self.warnings:
            text += f", {len(self.warnings)} warning(s)"
        return text


def is_autogen_document(data: Any) -> str | None:
    """``"autogen-0.4"``, ``"autogen-0.2"`` or None for other data."""
    if not isinstance(data, dict):
        return None
    if "provider" in data and "component_type" in data:
        return "autogen-0.4"
    items = data.get("items") if isinstance(data.get("items"), dict) else data.get("components")
    if isinstance(items, dict) and isinstance(items.get("teams"), list):
        return "autogen-0.4"  # a gallery
    if "sender" in data or "receiver" in data:
        return "autogen-0.2"
    if isinstance(data.get("agents"), list) and any(
            isinstance(a, dict) and "link" in a for a in data["agents"]):
        return "autogen-0.2"
    return None


def import_autogen(data: Any, *, source: str = "", registry: Registry | None = None
                   ) -> list[ImportReport]:
    """Templates from an AutoGen Studio document (see the module docstring)."""
    kind = is_autogen_document(data)
    if kind == "autogen-0.4":
        from ._autogen_v04 import import_v04

        return import_v04(data, source=source, registry=registry)
    if kind == "autogen-0.2":
        from ._autogen_v02 import import_v02

        return import_v02(data, source=source, registry=registry)
    raise SpecError([Problem(source, "not an AutoGen Studio file: expected a 0.4 component "
                                     "(provider, component_type, config) or a 0.2 workflow "
                                     "(sender, receiver)")])


# -- shared by the two importers ----------------------------------------------------------
_SAFE_NAME = re.compile(r"[^a-zA-Z0-9_-]+")
KEY_ENV = {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY",
           "openai_compatible": "OPENAI_API_KEY"}


class Context:
    """Collects the result of one import: errors, the report lists, models and tools."""

    def __init__(self, source: str, source_format: str) -> None:
        self.source = source
        self.source_format = source_format
        self.errors: list[Problem] = []
        self.mapped: list[str] = []
        self.not_mapped: list[str] = []
        self.warnings: list[str] = []
        self.models: dict[str, dict[str, Any]] = {}
        self.tools: dict[str, dict[str, Any]] = {}

    def where(self, path: str) -> str:
        if self.source and path:
            return f"{self.source}: {path}"
        return self.source or path

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(self.where(path), message))

    def raise_errors(self) -> None:
        if self.errors:
            raise SpecError(self.errors)

    # -- models ------------------------------------------------------------------------------
    def add_model(self, provider: str, model: str | None, *, base_url: str | None = None,
                  api_version: str | None = None, had_key: bool = False, what: str) -> str:
        """Register a model config (deduplicated) and return its name in ``models``."""
        config: dict[str, Any] = {"provider": provider}
        if base_url:
            config["base_url"] = base_url
        if model:
            config["model"] = model
        if api_version:
            config["api_version"] = api_version
        env = KEY_ENV.get(provider)
        if env and (had_key or provider in ("openai", "azure")):
            config["api_key_env"] = env
        if had_key:
            self.warnings.append(
                f"{what}: the API key in the file was NOT imported; the model reads it from the "
                f"{env} environment variable (or give it a stored secret)")
        for name, known in self.models.items():
            if known == config:
                return name
        base = _SAFE_NAME.sub("-", model or provider).strip("-")[:40] or provider
        name = "main" if not self.models else base
        while name in self.models:
            name += "_2"
        self.models[name] = config
        self.mapped.append(f"{what}: model {model or '?'} ({provider}) as model {name!r}")
        return name

    # -- tools -------------------------------------------------------------------------------
    def add_tool(self, name: str, source: str, description: str, imports: list[str],
                 path: str, what: str) -> str | None:
        """Register an inline tool made from a function's source; None if it is unusable."""
        tool_name = _SAFE_NAME.sub("_", name)[:64]
        try:
            text = documented_source(tool_name, source, description, imports)
        except ValueError as exc:
            self.not_mapped.append(f"{what}: tool {name!r}: {exc}")
            self.warnings.append(f"{self.where(path)}: tool {name!r} left out: {exc}")
            return None
        existing = self.tools.get(tool_name)
        if existing is not None and existing["source"] != text:
            tool_name = f"{tool_name}_2"
        self.tools[tool_name] = {"name": tool_name, "description": description, "source": text}
        self.mapped.append(f"{what}: tool {tool_name!r} (inline Python function)")
        return tool_name

    def finish(self, doc: dict[str, Any], registry: Registry | None) -> ImportReport:
        """Validate the converted document and wrap it in a report."""
        self.raise_errors()
        if self.models:
            doc["models"] = self.models
        if self.tools:
            doc["tools"] = list(self.tools.values())
        try:
            spec = load_template(doc, registry=registry)
        except SpecError as exc:
            raise SpecError([Problem(self.where(f"(converted template) {p.path}".strip()),
                                     p.message, p.agent, p.field, p.severity)
                             for p in exc.problems]) from exc
        return ImportReport(spec=spec, mapped=self.mapped, not_mapped=self.not_mapped,
                            warnings=self.warnings + sandbox_notes(spec),
                            source_format=self.source_format)


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def safe_name(raw: Any, taken: set[str], fallback: str) -> str:
    """An agent name the OpenAI API accepts, unique among ``taken``."""
    name = _SAFE_NAME.sub("_", str(raw or "")).strip("_")[:60] or fallback
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def layout(names: list[str]) -> dict[str, dict[str, float]]:
    """A readable canvas layout: the first agent on the left, the rest in a column."""
    if not names:
        return {}
    out = {names[0]: {"x": 80.0, "y": 80.0 + 110.0 * max(0, len(names) - 2) / 2}}
    for i, name in enumerate(names[1:]):
        out[name] = {"x": 420.0, "y": 80.0 + 110.0 * i}
    return out


def import_lines(global_imports: Any) -> list[str]:
    """``import`` lines from an AutoGen FunctionTool's ``global_imports``."""
    lines: list[str] = []
    for item in global_imports or []:
        if isinstance(item, str):
            lines.append(f"import {item}")
        elif isinstance(item, dict) and item.get("module"):
            names = []
            for imp in item.get("imports") or []:
                if isinstance(imp, dict):
                    alias = imp.get("alias")
                    names.append(f"{imp.get('name')} as {alias}" if alias else str(imp.get("name")))
                else:
                    names.append(str(imp))
            lines.append(f"from {item['module']} import {', '.join(names)}" if names
                         else f"import {item['module']}")
    return lines


_DOC_PARAM = re.compile(r"^\s*(?::param\s+(?:\w+\s+)?)?\*{0,2}(\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def documented_source(name: str, source: str, description: str, imports: list[str]) -> str:
    """The source with function ``name`` renamed if needed and given a full docstring.

    The studio's tools need a docstring describing every parameter; AutoGen's often have
    none. Nothing is executed: the source is only parsed.
    """
    text = "\n".join(imports + [source]) if imports else source
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise ValueError(f"the source does not parse: {exc.msg} (line {exc.lineno})") from None
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    fn = next((f for f in functions if f.name == name), None)
    if fn is None and len(functions) == 1:
        fn = functions[0]
    if fn is None:
        raise ValueError(f"the source defines no function named {name!r}")
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    if fn.args.vararg or fn.args.kwarg:
        raise ValueError("*args/**kwargs cannot be described to a model")
    old_doc = ast.get_docstring(fn) or ""
    documented: dict[str, str] = {}
    for line in old_doc.splitlines():
        match = _DOC_PARAM.match(line)
        if match and match.group(1) in params and match.group(2).strip():
            documented[match.group(1)] = match.group(2).strip()
    lines = text.splitlines()
    if fn.name != name:  # rename the function to the tool's name
        def_line = lines[fn.lineno - 1]
        lines[fn.lineno - 1] = def_line.replace(f"def {fn.name}", f"def {name}", 1)
    if old_doc and all(p in documented for p in params):
        return "\n".join(lines) + "\n"
    summary = (old_doc.split("\n\n")[0].strip() if old_doc else "") or description.strip() \
        or f"The {name} tool."
    doc_lines = summary.splitlines()
    if params:
        doc_lines += ["", "Args:"] + [
            f"    {p}: {documented.get(p) or 'The ' + p.replace('_', ' ') + '.'}" for p in params]
    first = fn.body[0]
    if first.lineno == fn.lineno:
        raise ValueError("put the function body on its own lines")
    indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)  # type: ignore[union-attr]
    quoted = [f'{indent}"""' + doc_lines[0].replace('"""', "'''")]
    quoted += [(indent + d.replace('"""', "'''")) if d else "" for d in doc_lines[1:]]
    quoted[-1] += '"""' if len(quoted) == 1 else ""
    if len(quoted) > 1:
        quoted.append(f'{indent}"""')
    value = getattr(first, "value", None)
    has_doc = isinstance(first, ast.Expr) and isinstance(value, ast.Constant) and isinstance(
        value.value, str)
    start = first.lineno - 1
    end = (first.end_lineno or first.lineno) if has_doc else start
    lines[start:end] = quoted
    return "\n".join(lines) + "\n"

"""Turn the Python source of a plain documented function into a callable (and a Tool)."""

from __future__ import annotations

import ast
import re
import types
from collections.abc import Callable
from typing import Any

from ._models import NAME_PATTERN


class ToolSourceError(ValueError):
    """The source of a tool cannot be used; the message says what to fix."""


def check_tool_source(name: str, source: str) -> str | None:
    """Return what is wrong with ``source`` as tool ``name`` (None when it looks usable).

    Checks without running anything: it parses, defines a top-level function ``name``
    with a docstring.
    """
    if not re.match(NAME_PATTERN, name):
        return f"tool name {name!r} must be 1-64 letters, digits, '_' or '-'"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return f"the source of tool {name!r} does not parse: {exc.msg} (line {exc.lineno})"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            if not ast.get_docstring(node):
                return f"function {name!r} needs a docstring: it becomes the tool's description"
            return None
    return f"the source must define a top-level function named {name!r}"


def load_function(name: str, source: str) -> Callable[..., Any]:
    """Execute ``source`` in a fresh module and return its function ``name``."""
    problem = check_tool_source(name, source)
    if problem:
        raise ToolSourceError(problem)
    module = types.ModuleType(f"studio_tool_{name.replace('-', '_')}")
    module.__dict__["__builtins__"] = __builtins__
    try:
        exec(compile(source, f"<tool {name}>", "exec"), module.__dict__)  # noqa: S102
    except Exception as exc:
        raise ToolSourceError(f"loading tool {name!r} failed: {type(exc).__name__}: {exc}") from exc
    fn = module.__dict__.get(name)
    if not callable(fn):
        raise ToolSourceError(f"the source must define a function named {name!r}")
    return fn


def docstring_of(name: str, source: str) -> str:
    """The docstring of function ``name`` in ``source``, read without running anything."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_docstring(node) or ""
    return ""


def make_tool(name: str, source: str, description: str = "", *, sandbox: Any = None) -> Any:
    """An engine ``Tool`` built from the source (schema from signature + docstring).

    With ``sandbox`` (a code executor), the source never runs in this process: the schema is
    read from it and every call runs in that executor's sandbox. That is how tools run whose
    source the studio did not ship (imported, written in the studio). Without it the source is
    loaded here: only for the bundled tools.
    """
    from studio.engine import Tool

    try:
        if sandbox is not None:
            from studio.engine.code import sandboxed_tool

            problem = check_tool_source(name, source)
            if problem:
                raise ToolSourceError(problem)
            return sandboxed_tool(name, source, sandbox, description=description)
        fn = load_function(name, source)
        return Tool.from_function(fn, name=name, description=description or None)
    except ToolSourceError:
        raise
    except Exception as exc:  # the engine rejects e.g. undocumented parameters
        raise ToolSourceError(f"tool {name!r}: {exc}") from exc


def sandbox_notes(spec: Any) -> list[str]:
    """For an import report: where the template's own tools (source that came with the
    file) will run."""
    return [f"tool {tool.name!r} comes with the file: it never runs in the studio's own "
            "process; each call runs in the code sandbox (bubblewrap, or a separate process "
            "only if unsandboxed code is allowed in Settings), without network access, the "
            "server's files or its keys" for tool in spec.tools]

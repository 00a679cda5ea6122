"""Tools whose source the studio did not ship (imported, written by a person) run in the code
sandbox, never in the studio's own process.

The schema is read from the source without running it: the function's signature and
docstring are parsed, and each annotation is evaluated against a fixed set of types (str, int,
float, bool, list, dict, Literal, Optional, Annotated, pydantic's Field...). A call is one
sandboxed process: the source, the function's name and the validated arguments go in as
JSON, the result (or the error) comes back as JSON, under the executor's timeout and limits.
Errors keep the engine's shape: a tool that raises becomes ``Error: <message>``.
"""

from __future__ import annotations

import ast
import inspect
import json
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from .._tools import Tool, ToolDefinitionError
from ._blocks import PYTHON
from ._interface import CodeBlock, CodeExecutionError
from ._workdir import SCRATCH_DIR

if TYPE_CHECKING:
    from ._runner import BlockExecutor

MAX_RESULT_BYTES = 1_000_000

_TYPES: dict[str, Any] = {
    "int": int, "float": float, "str": str, "bool": bool, "bytes": bytes, "list": list,
    "dict": dict, "tuple": tuple, "set": set, "frozenset": frozenset, "object": object,
    "Any": Any, "Optional": typing.Optional, "Union": typing.Union, "List": list,
    "Dict": dict, "Tuple": tuple, "Set": set, "FrozenSet": frozenset, "Literal": typing.Literal,
    "Annotated": typing.Annotated, "Sequence": Sequence, "Mapping": Mapping, "Field": Field,
}
_MODULES = frozenset({"typing", "t", "typing_extensions", "pydantic", "collections.abc", "abc"})

# Runs inside the sandbox with the standard library only (a container image may have nothing
# else). Reads the request file, answers in the result file; the tool's prints are not the result.
RUNNER = r"""
import asyncio, contextlib, inspect, io, json, sys
request_path, result_path = sys.argv[1], sys.argv[2]
with open(request_path, encoding="utf-8") as fh:
    request = json.load(fh)
def answer(data):
    with open(result_path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
try:
    namespace = {"__name__": "roundtable_tool"}
    exec(compile(request["source"], "<tool " + request["name"] + ">", "exec"), namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        value = namespace[request["name"]](**request["arguments"])
        if inspect.isawaitable(value):
            async def wait(awaitable):
                return await awaitable
            value = asyncio.run(wait(value))
except BaseException as exc:
    answer({"error": str(exc) or type(exc).__name__})
else:
    if isinstance(value, str):
        text = value
    elif hasattr(value, "model_dump_json"):
        text = value.model_dump_json()
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(value)
    answer({"ok": text})
"""


class ToolRunError(RuntimeError):
    """A sandboxed tool failed; the message is what the model reads after ``Error: ``."""


def _evaluate(node: ast.expr, where: str) -> Any:
    """The type an annotation names, from the fixed set only (nothing is imported or run)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and where.endswith("annotation"):
            return _evaluate(ast.parse(node.value, mode="eval").body, where)
        return node.value
    if isinstance(node, ast.Name) and node.id in _TYPES:
        return _TYPES[node.id]
    if isinstance(node, ast.Attribute) and node.attr in _TYPES \
            and ast.unparse(node.value) in _MODULES:
        return _TYPES[node.attr]
    if isinstance(node, ast.Subscript):
        base = _evaluate(node.value, where)
        inner = node.slice
        args = tuple(_evaluate(e, where + " argument") for e in inner.elts) \
            if isinstance(inner, ast.Tuple) else _evaluate(inner, where + " argument")
        if base is typing.Annotated and isinstance(args, tuple):  # the type, then metadata
            return typing.Annotated[(_evaluate(inner.elts[0], where), *args[1:])]  # type: ignore
        return base[args]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = (_evaluate(side, where) for side in (node.left, node.right))
        return typing.Optional[left] if right is None else (  # noqa: UP045
            typing.Optional[right] if left is None else left | right)  # noqa: UP045
    if isinstance(node, ast.Call) and _evaluate(node.func, where) is Field and not node.args:
        return Field(**{k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg})
    if isinstance(node, ast.Tuple | ast.List):
        return [_evaluate(e, where) for e in node.elts]
    raise ToolDefinitionError(
        f"{where} {ast.unparse(node)!r} is not a type a sandboxed tool can take: use str, int, "
        "float, bool, list, dict, Literal, Optional, Annotated (with a description) or Field")


def _function_node(name: str, source: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ToolDefinitionError(f"the source does not parse: {exc.msg} (line {exc.lineno})") \
            from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return node
    raise ToolDefinitionError(f"the source must define a top-level function named {name!r}")


def signature_from_source(name: str, source: str) -> tuple[inspect.Signature, str]:
    """The function's signature (with evaluated annotations) and docstring, read without
    running anything."""
    node = _function_node(name, source)
    args = node.args
    if args.vararg or args.kwarg:
        raise ToolDefinitionError(f"tool {name!r}: *args/**kwargs cannot be described to a model")
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += list(args.defaults)
    params = []
    for arg, default, kind in [
        *((a, d, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a, d in zip(positional, defaults,
                                                                           strict=True)),
        *((a, d, inspect.Parameter.KEYWORD_ONLY) for a, d in zip(args.kwonlyargs,
                                                                 args.kw_defaults, strict=True)),
    ]:
        where = f"tool {name!r}: parameter {arg.arg!r}"
        annotation = (_evaluate(arg.annotation, where + ": annotation") if arg.annotation
                      else inspect.Parameter.empty)
        value = inspect.Parameter.empty
        if default is not None:
            try:
                value = ast.literal_eval(default)
            except ValueError:
                raise ToolDefinitionError(
                    f"{where}: its default {ast.unparse(default)!r} must be a plain value "
                    "(a number, a string, a list...)") from None
        params.append(inspect.Parameter(arg.arg, kind, default=value, annotation=annotation))
    return inspect.Signature(params), ast.get_docstring(node) or ""


class SandboxedCall:
    """Calls one tool function in the sandbox of ``executor`` (any code executor of ours)."""

    def __init__(self, name: str, source: str, executor: BlockExecutor) -> None:
        self.name = name
        self.source = source
        self.executor = executor

    def __call__(self, **arguments: Any) -> str:
        scratch = self.executor.work_dir / SCRATCH_DIR
        scratch.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex
        request = scratch / f"tool-{tag}.json"
        result_file = scratch / f"tool-{tag}.result.json"
        request.write_text(json.dumps({"name": self.name, "source": self.source,
                                       "arguments": arguments}, default=str), encoding="utf-8")
        code = (f"import sys\nsys.argv[1:] = [{f'{SCRATCH_DIR}/{request.name}'!r}, "
                f"{f'{SCRATCH_DIR}/{result_file.name}'!r}]\n{RUNNER}")
        try:
            try:
                outcome = self.executor.execute([CodeBlock(code, PYTHON)])
            except CodeExecutionError as exc:
                raise ToolRunError(f"the tool could not run in the sandbox: {exc}") from exc
            try:
                with open(result_file, encoding="utf-8") as fh:
                    data = json.loads(fh.read(MAX_RESULT_BYTES + 1) or "{}")
            except (OSError, ValueError):
                data = {}
        finally:
            request.unlink(missing_ok=True)
            result_file.unlink(missing_ok=True)
        if "ok" in data:
            return str(data["ok"])
        if "error" in data:
            raise ToolRunError(str(data["error"]))
        if outcome.timed_out:
            raise ToolRunError(f"the tool did not finish within {self.executor.timeout:g} s")
        tail = outcome.output.strip().splitlines()[-3:]
        raise ToolRunError("the tool stopped without an answer" + (f": {' '.join(tail)}"
                                                                  if tail else ""))


def sandboxed_tool(name: str, source: str, executor: BlockExecutor, *,
                   description: str = "") -> Tool:
    """A :class:`Tool` whose schema comes from ``source`` (not run here) and whose calls run
    in ``executor``'s sandbox."""
    signature, doc = signature_from_source(name, source)
    call = SandboxedCall(name, source, executor)

    def forward(**arguments: Any) -> str:
        return call(**arguments)

    forward.__name__ = name
    forward.__doc__ = doc
    forward.__signature__ = signature  # type: ignore[attr-defined]
    forward.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()
                               if p.annotation is not inspect.Parameter.empty}
    return Tool.from_function(forward, name=name, description=description or None)

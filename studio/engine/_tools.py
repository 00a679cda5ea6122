"""Tools from plain Python functions.

The JSON schema comes from the signature (types through pydantic) and the docstring
(summary and per-parameter descriptions, Google/NumPy/Sphinx styles) or
``Annotated[type, "description"]``. A parameter with no description is rejected at
registration: the model cannot use what it is not told about.

A parameter annotated :class:`ToolContext` is not shown to the model: the agent that
executes the call fills it with the conversation so far, so a tool can read the task or
replay its own earlier calls (a simulated world rebuilt from them keeps no hidden state).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic.fields import FieldInfo

if TYPE_CHECKING:
    from ._messages import Message


class ToolDefinitionError(ValueError):
    """A function cannot be turned into a tool (says which parameter and why)."""


@dataclass(frozen=True)
class ToolContext:
    """What a tool is told about the call it serves (see the module doc).

    ``messages`` is the executing agent's conversation with the caller, up to and
    including the message that holds this call (``call_id``).
    """

    agent: str = ""
    call_id: str = ""
    messages: tuple[Message, ...] = field(default=())

    @property
    def task(self) -> str:
        """The text of the conversation's first message (in a team run: the task)."""
        first = next((m for m in self.messages if m.role != "system" and m.content
                      and m.meta.get("kind") != "introduction"), None)
        return first.content or "" if first is not None else ""

    def earlier_calls(self, name: str) -> list[tuple[str, str]]:
        """``(call id, JSON arguments)`` of the calls to tool ``name`` that ran before this
        one, in order: answered calls of earlier messages, then the calls ahead of this one
        in its own message. Calls a person interrupted are left out."""
        answered = {m.tool_call_id: m.content for m in self.messages if m.role == "tool"}
        calls: list[tuple[str, str]] = []
        for message in self.messages:
            for call in message.tool_calls:
                if call.id == self.call_id:
                    return calls
                if call.name != name:
                    continue
                result = answered.get(call.id)
                ran = result is not None and result != "USER INTERRUPTED"
                if ran or message is self.messages[-1]:
                    calls.append((call.id, call.arguments))
        return calls


_PARAM_LINE = re.compile(
    r"^\s*(?::param\s+)?\*{0,2}(?P<name>\w+)\s*(?:\([^)]*\))?\s*:\s*(?P<desc>.+)$"
)
_SECTION = re.compile(r"^\s*(Args|Arguments|Parameters|Params|Returns?|Raises|Yields|Examples?|Notes?)\s*:?\s*$",
                      re.IGNORECASE)


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Return (summary, {param: description}) from a docstring."""
    if not doc:
        return "", {}
    lines = inspect.cleandoc(doc).splitlines()
    summary_lines: list[str] = []
    params: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        header = _SECTION.match(line)
        if header:
            section = header.group(1).lower()
            current = None
            continue
        if set(line.strip()) <= {"-"} and line.strip():
            continue  # numpy underline
        sphinx = re.match(r"^\s*:param\s+(?:\w+\s+)?(\w+)\s*:\s*(.*)$", line)
        if sphinx:
            current = sphinx.group(1)
            params[current] = sphinx.group(2).strip()
            continue
        if section in ("args", "arguments", "parameters", "params"):
            match = _PARAM_LINE.match(line)
            if match and not line.startswith(" " * 8):
                current = match.group("name")
                params[current] = match.group("desc").strip()
            elif current and line.strip():
                params[current] += " " + line.strip()
            elif re.match(r"^\s*(\w+)\s*:\s*\w+", line) is None and not line.strip():
                current = None
            continue
        if section is None and not line.strip().startswith(":"):
            summary_lines.append(line)
    summary = " ".join(part.strip() for part in "\n".join(summary_lines).split("\n\n")[0].splitlines())
    return summary.strip(), params


@dataclass(frozen=True)
class Tool:
    """A callable the model may ask for, with its schema."""

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    args_model: type[BaseModel]
    context_parameter: str | None = None  # the parameter that receives a ToolContext

    @classmethod
    def from_function(cls, fn: Tool | Callable[..., Any], *, name: str | None = None,
                      description: str | None = None) -> Tool:
        if isinstance(fn, Tool):
            return fn
        tool_name = name or fn.__name__
        if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", tool_name):
            raise ToolDefinitionError(
                f"tool name {tool_name!r} is not allowed: use letters, digits, _ or - (at most 64)"
            )
        summary, doc_params = _parse_docstring(inspect.getdoc(fn) or "")
        try:
            hints = get_type_hints(fn, include_extras=True)
        except Exception as exc:  # unresolvable annotations
            raise ToolDefinitionError(f"tool {tool_name!r}: cannot read type hints: {exc}") from exc
        fields: dict[str, Any] = {}
        context_parameter: str | None = None
        for param in inspect.signature(fn).parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise ToolDefinitionError(f"tool {tool_name!r}: *args/**kwargs cannot be described to a model")
            annotation = hints.get(param.name, Any)
            if annotation is ToolContext:
                context_parameter = param.name
                continue
            desc = doc_params.get(param.name)
            field_info: FieldInfo | None = None
            if get_origin(annotation) is Annotated:
                base, *extras = get_args(annotation)
                for extra in extras:
                    if isinstance(extra, str):
                        desc = desc or extra
                    elif isinstance(extra, FieldInfo):
                        field_info = extra
                        desc = desc or extra.description
                annotation = base
            if not desc:
                raise ToolDefinitionError(
                    f"tool {tool_name!r}: parameter {param.name!r} has no description; "
                    "describe it in the docstring (Args: section) or with Annotated[type, 'description']"
                )
            default = ... if param.default is param.empty else param.default
            if field_info is not None:
                info = Field(default=default, description=desc)
            else:
                info = Field(default=default, description=desc)
            fields[param.name] = (annotation, info)
        model = create_model(
            f"{tool_name}_args", __config__=ConfigDict(extra="forbid"), **fields
        )
        schema = model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        schema.setdefault("properties", {})
        schema["required"] = [n for n, (_, f) in fields.items() if f.is_required()]
        return cls(
            name=tool_name,
            description=description or summary or tool_name,
            parameters=schema,
            function=fn,
            args_model=model,
            context_parameter=context_parameter,
        )

    @property
    def schema(self) -> dict[str, Any]:
        """The OpenAI tool schema."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def invoke(self, arguments: str, context: ToolContext | None = None) -> tuple[str, bool]:
        """Run the tool on the model's JSON ``arguments``; returns (content, is_error).

        ``context`` goes to the tool's :class:`ToolContext` parameter, if it has one.

        Never raises for the model's mistakes or the tool's failures: they come back as
        text the model can read.
        """
        try:
            raw = json.loads(arguments or "{}")
            if not isinstance(raw, dict):
                raise ValueError("arguments must be a JSON object")
        except ValueError as exc:
            return (f"Error: the arguments to {self.name} are not valid JSON ({exc}). "
                    "Call the tool again with a valid JSON object of arguments."), True
        try:
            parsed = self.args_model.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'arguments'}: {err['msg']}" for err in exc.errors()
            )
            return (f"Error: the arguments to {self.name} do not match its schema ({problems}). "
                    "Call the tool again with valid JSON arguments."), True
        kwargs = {name: getattr(parsed, name) for name in self.args_model.model_fields}
        if self.context_parameter is not None:
            kwargs[self.context_parameter] = context if context is not None else ToolContext()
        try:
            result = self.function(**kwargs)
            if inspect.isawaitable(result):
                result = _run_awaitable(result)
        except Exception as exc:
            return f"Error: {exc}", True
        return _to_text(result), False


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _run_awaitable(awaitable: Any) -> Any:
    """Run a coroutine from sync code, also when an event loop is already running here."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(awaitable))
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(_await(awaitable))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _await(awaitable: Any) -> Any:
    return await awaitable


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None,
         description: str | None = None) -> Any:
    """Decorator: ``@tool`` or ``@tool(name=...)`` turns a function into a :class:`Tool`."""
    if fn is None:
        return lambda f: Tool.from_function(f, name=name, description=description)
    return Tool.from_function(fn, name=name, description=description)

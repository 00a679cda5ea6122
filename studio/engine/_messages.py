"""The one message type of the engine.

Messages are immutable. They are converted to the OpenAI wire format only at the
model-client boundary (:func:`to_wire`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call the model asks for: ``arguments`` is the raw JSON text the model wrote."""

    id: str
    name: str
    arguments: str = "{}"

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation.

    ``name`` is the agent (or human) who wrote it. ``tool_call_id`` is set on tool
    results (role ``tool``). ``meta`` carries engine-side annotations (never sent to a
    model), for example ``{"kind": "code_result"}``.
    """

    role: Role
    content: str | None = None
    name: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.role not in ("system", "user", "assistant", "tool"):
            raise ValueError(f"unknown message role {self.role!r}")
        if self.role == "tool" and not self.tool_call_id:
            raise ValueError("a tool message needs the tool_call_id it answers")

    @property
    def text(self) -> str:
        """The content as text ('' when there is none)."""
        return self.content or ""

    def is_empty(self) -> bool:
        return not self.content and not self.tool_calls

    def with_role(self, role: Role) -> Message:
        return replace(self, role=role)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by events, the store and exports)."""
        data: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.name:
            data["name"] = self.name
        if self.tool_calls:
            data["tool_calls"] = [
                {"id": c.id, "name": c.name, "arguments": c.arguments} for c in self.tool_calls
            ]
        if self.tool_call_id:
            data["tool_call_id"] = self.tool_call_id
        if self.meta:
            data["meta"] = self.meta
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Message:
        calls = tuple(
            ToolCall(id=c["id"], name=c["name"], arguments=c.get("arguments", "{}"))
            for c in data.get("tool_calls") or ()
        )
        return cls(
            role=data["role"],
            content=data.get("content"),
            name=data.get("name"),
            tool_calls=calls,
            tool_call_id=data.get("tool_call_id"),
            meta=dict(data.get("meta") or {}),
        )


def to_wire(message: Message) -> dict[str, Any]:
    """Convert to an OpenAI chat-completions message dict."""
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name and message.role in ("user", "assistant"):
        wire["name"] = _wire_name(message.name)
    if message.tool_calls:
        wire["tool_calls"] = [c.to_wire() for c in message.tool_calls]
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def _wire_name(name: str) -> str:
    """OpenAI accepts names matching ``^[^\\s<|\\\\/>]+$`` (at most 64 chars)."""
    cleaned = "".join("_" if ch.isspace() or ch in "<|\\/>" else ch for ch in name)
    return cleaned[:64] or "agent"


def dumps_arguments(arguments: dict[str, Any]) -> str:
    return json.dumps(arguments, ensure_ascii=False)

"""Which events make up a run's transcript, and how each becomes a store row.

Everything but token deltas, model-call markers and pause/resume markers is written the
moment it is emitted (a chat's end goes with the event that follows it: see ``_execution``);
the final ``message`` event carries the full text of a streamed message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from studio.engine.events import TRANSIENT_TYPES

#: Event types kept in memory only (live view), never written to the store.
TRANSIENT_KINDS = TRANSIENT_TYPES


class EventSink(Protocol):
    def append_events(self, run_id: str, events: Sequence[Mapping[str, Any]], *,
                      holder: str | None = None) -> None: ...


def is_persisted(kind: str) -> bool:
    return kind not in TRANSIENT_KINDS


def row_fields(event: dict[str, Any]) -> dict[str, Any]:
    """The indexed columns of one event row: who, to whom, role and the readable text."""
    kind = event.get("type", "")
    fields: dict[str, Any] = {"chat_id": event.get("chat_id", ""), "depth": event.get("depth", 0)}
    if kind == "message":
        message = event.get("message") or {}
        fields.update(sender=event.get("sender", ""), recipient=event.get("recipient", ""),
                      role=message.get("role"), content=message.get("content"))
    elif kind == "chat_started":
        fields.update(sender=event.get("sender", ""), recipient=event.get("recipient", ""))
    elif kind == "tool_call":
        fields.update(sender=event.get("agent", ""), content=event.get("arguments"))
    elif kind == "tool_result":
        fields.update(sender=event.get("agent", ""), content=event.get("content"))
    elif kind == "code_executed":
        fields.update(sender=event.get("agent", ""), content=event.get("output"))
    elif kind in ("human_input_requested", "human_input_received"):
        text = event.get("prompt") if kind == "human_input_requested" else event.get("text")
        fields.update(sender=event.get("agent", ""), content=text)
    elif kind == "interjection":
        fields.update(recipient=event.get("recipient", ""), content=event.get("text"))
    elif kind == "speaker_selected":
        fields.update(sender=event.get("speaker", ""))
    elif kind in ("error", "warning", "notice"):
        fields.update(sender=event.get("agent", ""), content=event.get("text"))
    elif kind in ("chat_finished", "run_finished"):
        fields.update(content=event.get("summary"))
    elif kind == "run_started":
        fields.update(content=event.get("task"))
    return fields


def store_row(event: dict[str, Any]) -> dict[str, Any]:
    """One event (holding ``seq`` and ``type``) as the arguments of ``append_event``."""
    return {"seq": int(event["seq"]), "kind": str(event["type"]), "data": event,
            **row_fields(event)}


def persist(sink: EventSink, run_id: str, batch: Sequence[dict[str, Any]], *,
            holder: str | None = None) -> None:
    """Write events (dicts holding ``seq`` and ``type``) in one commit; with ``holder`` only
    while that lease holds the run (``LeaseLost`` otherwise, nothing written)."""
    sink.append_events(run_id, [store_row(event) for event in batch], holder=holder)

"""Turn an engine event into the columns of a ``run_event`` row."""

from __future__ import annotations

import json
from typing import Any

from studio.engine import events as ev

# Events worth keeping in a transcript. Live-only ones (token deltas: the message follows
# them; model-call announcements: the next event ends the wait; pause markers) are not.
PERSISTED_EVENTS: frozenset[str] = frozenset(
    cls.type for cls in ev.ALL_EVENTS if not cls.transient
)


def event_columns(event: ev.Event) -> dict[str, Any]:
    """``kind``, ``data`` and the searchable columns of :meth:`Store.append_event`."""
    data = json.loads(json.dumps(event.to_dict(), default=str))
    columns: dict[str, Any] = {
        "kind": event.type,
        "data": data,
        "chat_id": event.chat_id,
        "depth": event.depth,
        "sender": str(getattr(event, "sender", "") or getattr(event, "agent", "") or ""),
        "recipient": str(getattr(event, "recipient", "") or ""),
        "role": None,
        "content": None,
    }
    if isinstance(event, ev.MessageSent):
        columns["role"] = event.message.role
        columns["content"] = event.message.content
    elif isinstance(event, ev.ToolResult):
        columns["role"] = "tool"
        columns["content"] = event.content
    elif isinstance(event, ev.CodeExecuted):
        columns["content"] = event.output
    elif isinstance(event, ev.HumanInputReceived | ev.Interjection | ev.Warning | ev.Error):
        columns["content"] = event.text
    elif isinstance(event, ev.ChatFinished | ev.RunFinished):
        columns["content"] = event.summary
    return columns

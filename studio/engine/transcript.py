"""A run's transcript as `roundtable run` prints it: readable text or one JSON event a line.

One implementation for the CLI, the run manager and exported Python scripts, so they print
the same thing. :func:`event_record` is an event as plain JSON data, :func:`run_outcome` the
status a run ends with, :class:`TextTranscript` the readable view, and :class:`RunTranscript`
puts them together for a script (it writes through a callback; the engine never prints).

In the text, messages read ``sender -> recipient:`` then the content; streamed tokens are
written as they come; tool calls, tool results and code output are folded into short lines.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import events
from ._types import ChatResult, StopReason

__all__ = ["CANCELLED", "FAILED", "FINISHED", "RunOutcome", "RunTranscript", "TextTranscript",
           "describe_error", "event_record", "run_outcome", "transcript_text"]

FINISHED, FAILED, CANCELLED = "finished", "failed", "cancelled"

_SHORT = 100


def _short(text: str | None, limit: int = _SHORT) -> str:
    lines = (text or "").strip().splitlines() or [""]
    first = lines[0].strip()
    more = f" (+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
    if len(first) > limit:
        first = first[: limit - 1] + "…"
    return first + more


def _indent(text: str, depth: int) -> str:
    if depth <= 0:
        return text
    pad = "    " * depth
    return "\n".join(pad + line if line else line for line in text.split("\n"))


class TextTranscript:
    """Turns events, one by one, into text to write (stateful: it follows streaming)."""

    def __init__(self) -> None:
        self._streaming: str | None = None  # the agent whose tokens are being written

    def feed(self, event: dict[str, Any]) -> str:
        kind = event.get("type", "")
        depth = int(event.get("depth", 0) or 0)
        if kind == "token":
            return self._token(event, depth)
        prefix = ""
        if self._streaming is not None:
            prefix = "\n"
            streamed, self._streaming = self._streaming, None
            if kind == "message" and event.get("sender") == streamed:
                return prefix  # its text is already on screen
        text = self._render(kind, event)
        return prefix + (_indent(text, depth) + "\n" if text is not None else "")

    def _token(self, event: dict[str, Any], depth: int) -> str:
        agent = str(event.get("agent", ""))
        out = ""
        if self._streaming != agent:
            out = ("\n" if self._streaming is not None else "") + "\n" + _indent(f"{agent}:", depth) + "\n"
            self._streaming = agent
        return out + str(event.get("delta", ""))

    def _render(self, kind: str, e: dict[str, Any]) -> str | None:
        if kind == "run_started":
            return f"Task: {e.get('task', '')}"
        if kind == "chat_started":
            return f"\n--- {e.get('sender', '')} -> {e.get('recipient', '')} ({e.get('kind', 'chat')}) ---"
        if kind == "message":
            return self._message(e)
        if kind == "tool_call":
            return f"  [tool call] {e.get('name', '')}({_short(e.get('arguments'), 60)})"
        if kind == "tool_result":
            status = "failed" if e.get("is_error") else "returned"
            return f"  [tool {status}] {e.get('name', '')}: {_short(e.get('content'))}"
        if kind == "interjection":
            return f"  [you stepped in -> {e.get('recipient', '')}] {_short(e.get('text'))}"
        if kind == "error":
            return f"  [error] {_short(e.get('text'), 300)}"
        if kind == "warning":
            return f"  [warning] {_short(e.get('text'), 300)}"
        if kind == "chat_finished":
            return f"--- chat ended: {e.get('reason', '')} ---"
        if kind == "run_finished":
            return self._finished(e)
        return None  # speaker choices, human-input markers, pause/resume: not shown

    def _message(self, e: dict[str, Any]) -> str | None:
        message = e.get("message") or {}
        content = message.get("content") or ""
        head = f"\n{e.get('sender', '')} -> {e.get('recipient', '')}:"
        if message.get("role") == "tool":
            return None  # shown as the tool result line
        if content.startswith("exitcode:"):
            first, _, rest = content.partition("\n")
            output = rest.removeprefix("Code output:").strip()
            return f"{head} [code {first.removeprefix('exitcode: ')}] {_short(output)}"
        if not content and message.get("tool_calls"):
            return None  # shown as tool call lines
        return f"{head}\n{content}"

    def _finished(self, e: dict[str, Any]) -> str:
        total = (e.get("usage") or {}).get("total") or {}
        lines = [f"\n=== {e.get('status', 'ended')}: {e.get('reason', '')} ==="]
        if e.get("error"):
            lines.append(f"Error: {e['error']}")
        if e.get("summary"):
            lines.append(f"Summary: {e['summary']}")
        if total.get("total_tokens"):
            lines.append(f"Tokens: {total['total_tokens']}  Cost: ${total.get('cost', 0.0):.4f}")
        return "\n".join(lines)


def transcript_text(events: list[dict[str, Any]]) -> str:
    """The whole transcript as text."""
    renderer = TextTranscript()
    return "".join(renderer.feed(e) for e in events)


def event_record(event: events.Event | Mapping[str, Any]) -> dict[str, Any]:
    """An event as plain JSON data (tuples become lists): what is stored and printed."""
    data = event.to_dict() if isinstance(event, events.Event) else dict(event)
    return json.loads(json.dumps(data, default=str))


def describe_error(exc: BaseException) -> str:
    """What went wrong, in words, for an exception that ended a run."""
    text = str(exc).strip()
    return text if text else f"{type(exc).__name__} (no message)"


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended: ``status`` is finished, failed or cancelled; ``error`` says why it
    failed."""

    status: str
    reason: str
    summary: str = ""
    error: str | None = None

    def final_record(self, usage: Mapping[str, Any]) -> dict[str, Any]:
        """The last event of a run's transcript."""
        return {"type": "run_finished", "status": self.status, "reason": self.reason,
                "summary": self.summary, "error": self.error, "usage": dict(usage),
                "chat_id": "", "depth": 0, "time": time.time()}


def run_outcome(chats: Sequence[ChatResult], *, cancelled: bool = False,
                last_error: str | None = None) -> RunOutcome:
    """The outcome of a run whose top-level chats are ``chats``: the first chat that was
    cancelled or failed decides, else the last one; the summary is the last chat's."""
    if not chats:
        return RunOutcome(CANCELLED, "cancelled") if cancelled else \
            RunOutcome(FAILED, "error", "", last_error or "the run produced no chat")
    stopped = next((c for c in chats if c.stop_reason in (StopReason.CANCELLED,
                                                         StopReason.ERROR)), chats[-1])
    reason, summary = str(stopped.stop_reason), chats[-1].summary or ""
    if cancelled or reason == StopReason.CANCELLED:
        return RunOutcome(CANCELLED, "cancelled", summary)
    if reason == StopReason.ERROR:
        return RunOutcome(FAILED, reason, summary,
                          last_error or stopped.error or "the run stopped on an error")
    return RunOutcome(FINISHED, reason, summary)


class RunTranscript:
    """Prints a run through ``write`` as `roundtable run` does (``as_json``: one JSON event
    per line). Use it as the run's event handler, between :meth:`start` and :meth:`finish`::

        transcript = RunTranscript(sys.stdout.write)
        control = RunControl(on_event=transcript)
        transcript.start(task)
        outcome = transcript.finish(run_outcome(chats, last_error=transcript.last_error),
                                    control.usage.to_dict())
    """

    def __init__(self, write: Callable[[str], Any], *, as_json: bool = False) -> None:
        self._write = write
        self._as_json = as_json
        self._text = TextTranscript()
        self._seq = 0
        self.last_error: str | None = None

    def __call__(self, event: events.Event | Mapping[str, Any]) -> None:
        data = event_record(event)
        if data.get("type") == "error" and data.get("text"):
            self.last_error = str(data["text"])
        self._seq += 1
        data["seq"] = self._seq
        self._write(render(data, self._text, as_json=self._as_json))

    def start(self, task: str) -> None:
        self(events.RunStarted(task=task))

    def error(self, exc: BaseException) -> str:
        """Record an exception that ended the run; returns its description."""
        text = describe_error(exc)
        self({"type": "error", "text": text, "agent": ""})
        return text

    def finish(self, outcome: RunOutcome, usage: Mapping[str, Any]) -> RunOutcome:
        self(outcome.final_record(usage))
        return outcome


def render(data: dict[str, Any], text: TextTranscript, *, as_json: bool) -> str:
    """One recorded event as `roundtable run` prints it."""
    return json.dumps(data) + "\n" if as_json else text.feed(data)

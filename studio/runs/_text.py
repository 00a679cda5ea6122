"""A readable plain-text transcript from run events (the CLI's live view, text exports).

Messages read ``sender -> recipient:`` then the content; streamed tokens are written as
they come; tool calls, tool results and code output are folded into short lines.
"""

from __future__ import annotations

from typing import Any

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

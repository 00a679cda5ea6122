"""Rebuilding a conversation from its recorded events.

A :class:`Recording` is the list of events a conversation emitted (as stored: event dicts
or :class:`~studio.engine.events.Event` objects). Give it to a :class:`RunControl` and start
the same team the same way: the engine runs its own logic again, but every outside input
-- model replies, human answers, tool results, code results, speaker choices, interjections
-- comes from the recording instead of being asked for again, and the events it already
holds are not emitted a second time. Once the recording is used up the run goes on live.
Everything the engine keeps in memory (histories, auto-reply counters, whose turn it is,
a question waiting for the human, a demo script's position) is therefore exactly what it
was when the recording stopped.

That one operation serves three uses:

- **resume** an interrupted run: replay everything stored, then continue;
- **continue** a finished run: replay it, then start a follow-up chat with
  ``clear_history=False`` (the agents still hold the whole conversation);
- **fork** from a message: :meth:`Recording.until_message` cuts the recording after that
  message, with its text replaced (and the message marked ``edited``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import events as ev
from ._messages import Message
from ._usage import Usage

_ENGINE_TYPES = frozenset(cls.type for cls in ev.ALL_EVENTS) - ev.TRANSIENT_TYPES
# Identity fields compared when an emitted event meets its recorded twin. Texts are not
# compared: the recording is the truth about what was said (and a fork edits texts).
_KEYS: dict[str, tuple[str, ...]] = {
    "chat_started": ("kind", "sender", "recipient"),
    "speaker_selected": ("speaker",),
    "message": ("sender", "recipient"),
    "tool_call": ("agent", "call_id", "name"),
    "tool_result": ("agent", "call_id"),
    "code_started": ("agent",),
    "code_executed": ("agent",),
    "human_input_requested": ("agent", "kind"),
    "human_input_received": ("agent", "kind"),
    "interjection": ("recipient",),
}
# Recorded by newer engines only: an older recording without them still replays.
_OPTIONAL = frozenset({"code_started"})


class ReplayError(Exception):
    """The recording cannot be replayed here (raised out of the run, never turned into a
    chat error: the caller decides what the run becomes)."""


class ReplayMismatch(ReplayError):
    """The team now does something other than what the recording holds (the template or
    the engine changed since)."""


class ResumeUnsafe(ReplayError):
    """Going on could do something twice that must not be: code was running when the run
    stopped, and running it again might repeat its effects."""


def _as_dict(event: ev.Event | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(event, ev.Event):
        return event.to_dict()
    data = dict(event)
    if "type" not in data and "kind" in data and isinstance(data.get("data"), Mapping):
        data = {**data["data"], "type": data["kind"]}  # a store row
    return copy.deepcopy(data)


@dataclass(frozen=True)
class Recording:
    """The recorded events of one conversation, in the order they were emitted.

    Events of kinds the engine does not emit (a studio's own notices) and live-only
    events (tokens, pause markers) are left out. ``resume`` says the recording ends where
    the run stopped unexpectedly: replaying it then refuses to go on when code was running
    at that moment (:class:`ResumeUnsafe`). A recording cut on purpose
    (:meth:`until_message`, or a finished run being continued) has ``resume`` False.
    """

    events: tuple[dict[str, Any], ...]
    resume: bool = True

    @classmethod
    def of(cls, events: Iterable[ev.Event | Mapping[str, Any]], *, resume: bool = True) -> Recording:
        """A recording of ``events``: engine events or their dicts (``Event.to_dict()``, a
        studio's stored event dicts, or store rows with ``kind`` and ``data``)."""
        kept = []
        for event in events:
            data = _as_dict(event)
            if data.get("type") in _ENGINE_TYPES:
                data.pop("seq", None)
                kept.append(data)
        return cls(tuple(kept), resume=resume)

    def __len__(self) -> int:
        return len(self.events)

    @property
    def messages(self) -> list[Message]:
        """Every message of the conversation (nested chats included), in order; the
        indexes are the ones :meth:`until_message` takes."""
        return [Message.from_dict(e.get("message") or {"role": "user"})
                for e in self.events if e["type"] == "message"]

    @property
    def finished(self) -> bool:
        """True when the conversation ran to its end (its last top-level chat finished)."""
        return any(e["type"] == "run_finished" for e in self.events) or bool(
            self.events and self.events[-1]["type"] == "chat_finished"
            and not self.events[-1].get("depth"))

    def until_message(self, index: int, content: str | None = None) -> Recording:
        """The recording up to and including message ``index`` (see :attr:`messages`),
        with that message's text replaced by ``content`` when given (its meta then says
        ``edited``): replaying it forks the conversation there, and what follows is live."""
        positions = [i for i, e in enumerate(self.events) if e["type"] == "message"]
        if not 0 <= index < len(positions):
            raise IndexError(f"message {index} does not exist: the recording has "
                             f"{len(positions)} messages")
        cut = positions[index]
        kept = [copy.deepcopy(e) for e in self.events[:cut + 1]]
        if content is not None:
            _edit(kept, cut, content)
        return Recording(tuple(kept), resume=False)


def _edit(kept: list[dict[str, Any]], cut: int, content: str) -> None:
    """Replace the message's text, and the human answer or interjection it came from. A
    message whose words change is marked ``edited`` in its meta: they are a person's now,
    whoever's name it is in (a model answers them as such; the run record keeps the mark)."""
    event = kept[cut]
    message = dict(event.get("message") or {})
    original = message.get("content")
    meta = dict(message.get("meta") or {})
    if content != original:
        meta["edited"] = True
        message["meta"] = meta
    message["content"] = content
    event["message"] = message
    if not meta.get("human"):
        return
    for earlier in reversed(kept[:cut]):
        if earlier.get("chat_id") != event.get("chat_id"):
            continue
        if earlier["type"] == "interjection" and earlier.get("text") == original:
            earlier["text"] = content
            return
        if earlier["type"] == "human_input_received" and earlier.get("text") == original:
            earlier["text"] = content
            return
        if earlier["type"] == "message":
            return


class Replayer:
    """The cursor a :class:`RunControl` walks through a recording (engine-internal)."""

    def __init__(self, recording: Recording) -> None:
        self._events = recording.events
        self._pos = 0
        self.strict = recording.resume

    @property
    def active(self) -> bool:
        return self._pos < len(self._events)

    def peek(self, offset: int = 0) -> dict[str, Any] | None:
        index = self._pos + offset
        return self._events[index] if index < len(self._events) else None

    def consume(self, event: ev.Event) -> bool:
        """Match an event the engine emits with the next recorded one. Returns False for
        an event that older recordings lack (nothing consumed); raises on a mismatch."""
        recorded = self.peek()
        assert recorded is not None
        if recorded["type"] != event.type and event.type in _OPTIONAL:
            return False
        problem = _difference(event, recorded)
        if problem:
            raise ReplayMismatch(
                f"the recorded conversation does not match what the team does now (at event "
                f"{self._pos + 1} of {len(self._events)}: {problem}); the team or its "
                "template changed since it was recorded")
        self._pos += 1
        return True

    # -- what the engine asks for instead of calling out -----------------------------------
    def expect(self, kind: str, /, **fields: Any) -> dict[str, Any] | None:
        """The next recorded event if it is a ``kind`` with these fields; None when the
        recording is used up (go live); :class:`ReplayMismatch` when it is something else."""
        recorded = self.peek()
        if recorded is None:
            return None
        if recorded["type"] == kind and all(recorded.get(k) == v for k, v in fields.items()):
            return recorded
        wanted = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        raise ReplayMismatch(
            f"the recorded conversation does not match what the team does now (at event "
            f"{self._pos + 1} of {len(self._events)}: expected a {kind} event ({wanted}), "
            f"the recording has {_describe(recorded)}); the team or its template changed "
            "since it was recorded")

    def ahead(self, kind: str, *, skip: tuple[str, ...] = ("warning",)) -> dict[str, Any] | None:
        """The first recorded ``kind`` event ahead, looking past ``skip`` kinds only."""
        offset = 0
        while (recorded := self.peek(offset)) is not None:
            if recorded["type"] == kind:
                return recorded
            if recorded["type"] not in skip:
                return None
            offset += 1
        return None

    def interjections(self) -> list[str]:
        """The interjections recorded at this point (each followed by its message)."""
        texts = []
        offset = 0
        while (recorded := self.peek(offset)) is not None and recorded["type"] == "interjection":
            texts.append(str(recorded.get("text", "")))
            offset += 2
        return texts


def recorded_message(recorded: dict[str, Any]) -> Message:
    return Message.from_dict(recorded.get("message") or {"role": "user", "content": ""})


def recorded_usage(data: Mapping[str, Any] | None) -> Usage | None:
    if not data:
        return None
    return Usage(prompt_tokens=int(data.get("prompt_tokens", 0) or 0),
                 completion_tokens=int(data.get("completion_tokens", 0) or 0),
                 cost=float(data.get("cost", 0.0) or 0.0), model=str(data.get("model", "") or ""))


def _difference(event: ev.Event, recorded: dict[str, Any]) -> str:
    if recorded["type"] != event.type:
        return f"the team emits a {event.type} event, the recording has {_describe(recorded)}"
    if event.type not in ("run_started", "run_finished") and \
            recorded.get("chat_id", "") != event.chat_id:
        return (f"the {event.type} event belongs to chat {event.chat_id!r}, the recorded one "
                f"to {recorded.get('chat_id')!r}")
    for key in _KEYS.get(event.type, ()):
        mine, theirs = getattr(event, key, None), recorded.get(key)
        if mine != theirs:
            return f"{event.type}.{key} is {mine!r} now, {theirs!r} in the recording"
    return ""


def _describe(recorded: dict[str, Any]) -> str:
    who = recorded.get("sender") or recorded.get("agent") or recorded.get("speaker") or ""
    return f"a {recorded['type']} event" + (f" from {who}" if who else "")

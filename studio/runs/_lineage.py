"""New runs from a stored one: continue a finished run with a follow-up message, or fork a
run from any of its messages (that message edited, what follows live again).

Both rebuild the conversation from the stored events (the engine's
:class:`~studio.engine.Recording`): nothing already said is asked of a model again, and the
new run's transcript starts with a copy of the old one, so each run reads on its own. The
old run is left as it was. A note at the top of the new transcript says where it comes from.

A follow-up and an edited message are a person's words: they are marked so in the message
(see :func:`marked`), the models answer them as such, and the follow-ups a conversation
already holds are sent again when it is rebuilt (a run continued twice, or forked after
its follow-up).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.engine import Recording, events
from studio.engine.transcript import event_record
from studio.spec import load_template
from studio.store import StoreError

from ._errors import RunError

if TYPE_CHECKING:
    from studio.store import Actor, RunInfo

    from ._manager import HumanChoice, RunManager

LINEAGE = "lineage"  # the studio's note on a continued or forked run (never replayed)


def lineage_note(lineage: dict[str, Any]) -> dict[str, Any]:
    """The note at the top of a continued or forked run's transcript."""
    return {"type": LINEAGE, **lineage, "chat_id": "", "depth": 0, "time": time.time()}


def opening(task: str, recording: Recording,
            lineage: dict[str, Any] | None) -> list[dict[str, Any]]:
    """What a new run rebuilt from ``recording`` starts with, numbered from 1: its own
    start, the lineage note, then the copy of the recorded conversation. A run on a worker
    is created holding these (the worker replays them as it does when it resumes a run);
    the in-process runner emits the same while it replays."""
    first = [event_record(events.RunStarted(task=task))]
    if lineage:
        first.append(lineage_note(lineage))
    copied = [dict(e) for e in recording.events if e["type"] != "run_started"]
    return [{**event, "seq": seq} for seq, event in enumerate([*first, *copied], start=1)]


@dataclass(frozen=True)
class ForkPoint:
    """A message a run can be forked from: ``index`` is what :func:`fork_run` takes."""

    index: int
    sender: str
    content: str
    depth: int = 0


def recording_of(manager: RunManager, actor: Actor,
                 run_id: str) -> tuple[RunInfo, Recording]:
    """The run's record and its conversation as a recording (the run must have ended; the
    actor must be allowed to see it: its owner or an administrator). A person's words in
    it are marked as theirs, in a run stored before they were too (see :func:`marked`)."""
    info, transcript = _ended(manager, actor, run_id)

    def read(source: str) -> list[dict[str, Any]] | None:
        try:
            return manager.transcript(actor, source)
        except StoreError:  # deleted since, or not the actor's to read
            return None

    return info, Recording.of(marked(transcript, read), resume=False)


def _ended(manager: RunManager, actor: Actor, run_id: str
           ) -> tuple[RunInfo, list[dict[str, Any]]]:
    """The record and the transcript of a run that has ended (see :func:`recording_of`)."""
    info = manager.store.get_run(actor, run_id)
    handle = manager.get(actor, run_id)
    if (handle is not None and not handle.done) or info.status == "running":
        raise RunError("that run is still going: wait for it to end, or stop it first")
    return info, manager.transcript(actor, run_id)


# Where a person's words came from is marked in a message's meta where they enter the
# conversation: a follow-up as FOLLOW_UP (Team.run), a message edited when a run is forked
# as EDITED (Recording.until_message). Runs stored before then hold those messages
# unmarked; their lineage note names them exactly, so they are marked when read.
FOLLOW_UP = {"human": True, "followup": True}
EDITED = {"edited": True}
_ANCESTORS = 20  # how far back a chain of continued and forked runs is followed


def marked(transcript: list[dict[str, Any]],
           read: Callable[[str], list[dict[str, Any]] | None]) -> list[dict[str, Any]]:
    """``transcript`` with the follow-ups and edited messages of its lineage marked as a
    person's: the one its own lineage note names, then (for a run stored before the marks
    existed, whose copy of the run it came from holds them unmarked too) the ones the
    notes of the runs it comes from name, read with ``read(run_id)`` (None: not there).
    The walk stops at the first mark found already there: a copy made since came marked."""
    events = list(transcript)
    source: list[dict[str, Any]] | None = events
    for _ in range(_ANCESTORS):
        note = next((e for e in source or () if e.get("type") == LINEAGE), None)
        if note is None:
            break
        named = _named(source or [], note)
        if named is not None and _mark(events, *named) == "there already":
            break
        origin = note.get("from_run")
        source = read(str(origin)) if origin else None
    return events


def _named(transcript: list[dict[str, Any]], note: dict[str, Any]
           ) -> tuple[int, str, dict[str, Any]] | None:
    """The message a lineage note names (its index among the messages, its text, its
    mark): a forked run's edited message, or a continued run's follow-up (the first
    message of its last top-level chat)."""
    text = str(note.get("text") or "")
    if note.get("kind") == "fork" and note.get("edited"):
        return int(note.get("at", -1)), text, EDITED
    if note.get("kind") != "continue":
        return None
    chats = [e.get("chat_id") for e in transcript
             if e.get("type") == "chat_started" and not e.get("depth")]
    messages = [e for e in transcript if e.get("type") == "message"]
    index = next((i for i, e in enumerate(messages) if chats and e.get("chat_id") == chats[-1]
                  and not e.get("depth")), None)
    return (index, text, FOLLOW_UP) if index is not None else None


def _mark(events: list[dict[str, Any]], index: int, text: str, mark: dict[str, Any]) -> str:
    """Mark message ``index`` of ``events`` (in place) if it holds ``text`` (a retrieval
    proxy's follow-up holds passages around it, and says which question it asked)."""
    positions = [i for i, e in enumerate(events) if e.get("type") == "message"]
    if not 0 <= index < len(positions):
        return "not here"
    event = events[positions[index]]
    message = dict(event.get("message") or {})
    meta = dict(message.get("meta") or {})
    if text not in (message.get("content"), meta.get("query")):
        return "not here"
    if all(meta.get(key) == value for key, value in mark.items()):
        return "there already"
    message["meta"] = {**meta, **mark}
    events[positions[index]] = {**event, "message": message}
    return "marked"


def fork_points(manager: RunManager, actor: Actor, run_id: str) -> list[ForkPoint]:
    """Every message of the run, in order, nested chats included. (Drawn on each page run
    of an ended run: the run's own transcript only, none of its lineage is read.)"""
    recording = Recording.of(_ended(manager, actor, run_id)[1], resume=False)
    points = []
    for index, event in enumerate(e for e in recording.events if e["type"] == "message"):
        message = event.get("message") or {}
        points.append(ForkPoint(index, str(event.get("sender") or message.get("name") or ""),
                                str(message.get("content") or ""),
                                int(event.get("depth", 0) or 0)))
    return points


def continue_run(manager: RunManager, actor: Actor, run_id: str, message: str, *,
                 model: str | None = None,
                 human: HumanChoice = "mailbox", demo_pace: str | None = None) -> str:
    """A new run: the finished conversation ``run_id`` followed by ``message`` (sent by the
    team's starter, in a chat that keeps the history), owned by ``actor``. Returns the new
    run's id."""
    text = message.strip()
    if not text:
        raise RunError("write the follow-up message first")
    info, recording = recording_of(manager, actor, run_id)
    if info.status != "finished":
        raise RunError(f"only a finished run can be continued (this one is {info.status}); "
                       "fork it from one of its messages instead")
    # the recorded end of the run is not replayed: the follow-up comes in its place
    events = list(recording.events)
    while events and events[-1]["type"] in ("run_finished", "error", "warning"):
        events.pop()
    earlier = Recording(tuple(events), resume=False)
    return _start(manager, actor, info, earlier, followup=[*followups(earlier), text],
                  lineage={"kind": "continue", "from_run": run_id, "text": text},
                  model=model, human=human, demo_pace=demo_pace)


def fork_run(manager: RunManager, actor: Actor, run_id: str, index: int,
             text: str | None = None, *,
             model: str | None = None, human: HumanChoice = "mailbox",
             demo_pace: str | None = None) -> str:
    """A new run: run ``run_id`` up to its message ``index`` (see :func:`fork_points`),
    that message's text replaced by ``text`` when given, and live from there."""
    info, recording = recording_of(manager, actor, run_id)
    try:
        cut = recording.until_message(index, text)
    except IndexError as exc:
        raise RunError(str(exc)) from None
    point = fork_points(manager, actor, run_id)[index]
    edited = text is not None and text != point.content
    return _start(manager, actor, info, cut, followup=followups(cut) or None,
                  lineage={"kind": "fork", "from_run": run_id, "at": index,
                           "sender": point.sender, "edited": edited,
                           "text": text if edited else ""},
                  model=model, human=human, demo_pace=demo_pace)


def followups(recording: Recording) -> list[str]:
    """The follow-ups of the continued runs a recording comes from, in order: the team
    sends them again after its pattern's chats, to rebuild the conversation (each is
    marked as one where it was sent; see :func:`marked` for runs stored before)."""
    texts = []
    for event in recording.events:
        message = event.get("message") or {}
        meta = message.get("meta") or {}
        if event["type"] == "message" and not event.get("depth") and meta.get("followup"):
            texts.append(str(meta.get("query") or message.get("content") or ""))
    return texts


def _start(manager: RunManager, actor: Actor, info: RunInfo, recording: Recording, *,
           followup: list[str] | None, lineage: dict[str, Any], model: str | None,
           human: HumanChoice, demo_pace: str | None) -> str:
    spec = load_template(info.template_snapshot, registry=manager.registry_for(actor))
    return manager.start(actor, spec, info.task, template_name=info.template_name, model=model,
                         human=human, demo_pace=demo_pace, replay=recording,
                         followup=followup, lineage=lineage)

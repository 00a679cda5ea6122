"""New runs from a stored one: continue a finished run with a follow-up message, or fork a
run from any of its messages (that message edited, what follows live again).

Both rebuild the conversation from the stored events (the engine's
:class:`~studio.engine.Recording`): nothing already said is asked of a model again, and the
new run's transcript starts with a copy of the old one, so each run reads on its own. The
old run is left as it was. A note at the top of the new transcript says where it comes from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from studio.engine import Recording, events
from studio.engine.transcript import event_record
from studio.spec import load_template

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
    actor must be allowed to see it: its owner or an administrator)."""
    info = manager.store.get_run(actor, run_id)
    handle = manager.get(actor, run_id)
    if (handle is not None and not handle.done) or info.status == "running":
        raise RunError("that run is still going: wait for it to end, or stop it first")
    return info, Recording.of(manager.transcript(actor, run_id), resume=False)


def fork_points(manager: RunManager, actor: Actor, run_id: str) -> list[ForkPoint]:
    """Every message of the run, in order, nested chats included."""
    _, recording = recording_of(manager, actor, run_id)
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
    return _start(manager, actor, info, Recording(tuple(events), resume=False), followup=text,
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
    return _start(manager, actor, info, cut, followup=None,
                  lineage={"kind": "fork", "from_run": run_id, "at": index,
                           "sender": point.sender, "edited": edited,
                           "text": text if edited else ""},
                  model=model, human=human, demo_pace=demo_pace)


def _start(manager: RunManager, actor: Actor, info: RunInfo, recording: Recording, *,
           followup: str | None, lineage: dict[str, Any], model: str | None,
           human: HumanChoice, demo_pace: str | None) -> str:
    spec = load_template(info.template_snapshot, registry=manager.registry_for(actor))
    return manager.start(actor, spec, info.task, template_name=info.template_name, model=model,
                         human=human, demo_pace=demo_pace, replay=recording,
                         followup=followup, lineage=lineage)

"""One run executing in this process: events numbered, stored, then shown; the end recorded.

The same code runs a conversation in a studio's thread (the in-process runner) and in a
Celery worker. Every event gets the next ``seq``; a transcript event is committed to the
store before anyone sees it (fenced by this process's lease, so a process that lost the
run writes nothing more), then it goes to the run's live handle and, on a worker, to the
run's Redis stream. That order makes the store's order the engine's order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.engine import Cancelled, ReplayError, RunControl, events
from studio.engine.transcript import RunOutcome, describe_error, event_record, run_outcome
from studio.store import LeaseLost

from ._handle import CANCELLED, FAILED, INTERRUPTED, RunHandle
from ._lineage import lineage_note
from ._persist import is_persisted, persist

if TYPE_CHECKING:
    from studio.store import Store

Mirror = Callable[[RunHandle, dict[str, Any]], None]


class Execution:
    """Runs one conversation to its end and records everything it says.

    ``holder``: this process's lease (writes stop when it no longer holds the run).
    ``mirror``: called with every event after it is stored (a worker's Redis stream).
    """

    def __init__(self, store: Store, handle: RunHandle, *, holder: str | None,
                 mirror: Mirror | None = None) -> None:
        self.store = store
        self.handle = handle
        self.holder = holder
        self.mirror = mirror
        self.lost = False  # another process took the run over: stop quietly
        self.control: RunControl | None = None

    # -- events ----------------------------------------------------------------------------
    def on_event(self, event: events.Event | dict[str, Any]) -> None:
        """The run's event callback: number, store, then publish."""
        if self.lost:
            return
        handle = self.handle
        data = event_record(event)  # JSON-shaped so live events equal the stored ones
        kind = data["type"]
        with handle._changed:  # one writer at a time keeps seq order == store order
            if kind == "run_started" and handle._saw_start:
                return  # the envelope is ours; a team's own marker would be a duplicate
            if kind == "run_finished" and not data.pop("final", False):
                return  # the team's own marker: ours follows, with the run's status
            data["seq"] = handle._next_seq()
            if is_persisted(kind):
                try:
                    persist(self.store, handle.run_id, data, holder=self.holder)
                except LeaseLost:
                    self._lose()
                    return
            handle._saw_start = handle._saw_start or kind == "run_started"
            handle._publish(data)
        if self.mirror is not None:
            self.mirror(handle, data)
        if kind == "error" and data.get("text"):
            handle._last_error = str(data["text"])
        if kind == "human_input_requested":
            handle._request_seq = int(data["seq"])
        if kind == "message" and data.get("usage"):
            total = handle.usage["total"]
            self.store.update_run_usage(handle.run_id, total["total_tokens"], total["cost"])

    def notice(self, text: str, **fields: Any) -> None:
        """A note of the studio's own in the transcript (e.g. "resumed on another worker")."""
        self.safe_emit({"type": "notice", "text": text, "chat_id": "", "depth": 0,
                        "time": time.time(), **fields})

    def safe_emit(self, data: dict[str, Any]) -> None:
        try:
            self.on_event(data)
        except Exception:  # the store failing here must not hide the run's own outcome
            pass

    def _lose(self) -> None:
        self.lost = True
        if self.control is not None:
            self.control.cancel()  # stop the conversation here; its new holder goes on

    def hand_over(self) -> None:
        """Stop here without recording an end: another process will take the run over."""
        self._lose()

    # -- running ---------------------------------------------------------------------------
    def run(self, team: Any, task: str, control: RunControl, *, announce: bool = True,
            followup: str | None = None, lineage: dict[str, Any] | None = None) -> None:
        """Run ``team`` on ``task`` to its end (blocking) and record how it ended.

        ``announce``: emit the run's ``run_started`` envelope (a resumed run has one already).
        ``followup``: continue the (replayed) conversation with this message; ``lineage``:
        the note saying which run this one continues or forks (see ``_lineage``).
        """
        self.control = control
        handle = self.handle
        outcome = RunOutcome(FAILED, "error")
        try:
            if announce:
                self.on_event(events.RunStarted(task=task))
            if lineage:  # a studio note: never replayed
                self.on_event(lineage_note(lineage))
            result = (team.run(task, control, followup=followup) if followup is not None
                      else team.run(task, control))
            outcome = run_outcome(result.chats, cancelled=control.cancelled,
                                  last_error=handle._last_error)
        except Cancelled:
            outcome = RunOutcome(CANCELLED, "cancelled")
        except ReplayError as exc:  # it cannot safely go on from where it stopped
            outcome = RunOutcome(INTERRUPTED, str(exc))
        except Exception as exc:  # anything else ends the run as failed, with what happened
            outcome = RunOutcome(FAILED, "error", error=describe_error(exc))
            self.safe_emit({"type": "error", "text": outcome.error, "agent": ""})
        if self.lost:
            handle._finish(INTERRUPTED, reason="another process took the run over",
                           summary="", error=None)
            return
        usage = handle.usage
        self.safe_emit({**outcome.final_record(usage), "final": True})
        self.record_finish(outcome.status, outcome.reason, outcome.summary, outcome.error, usage)
        handle._finish(outcome.status, reason=outcome.reason, summary=outcome.summary,
                       error=outcome.error)

    def record_finish(self, status: str, reason: str, summary: str, error: str | None,
                      usage: dict[str, Any]) -> None:
        total = usage.get("total", {})
        try:
            self.store.finish_run(self.handle.run_id, status,
                                  f"error: {error}" if error else reason, summary,
                                  {**usage, "total_tokens": total.get("total_tokens", 0),
                                   "cost": total.get("cost", 0.0)}, holder=self.holder)
        except Exception:
            pass  # lost, or the store is gone: the transcript is already stored


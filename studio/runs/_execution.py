"""One run executing in this process: events numbered, stored, then shown; the end recorded.

The same code runs a conversation in a studio's thread (the in-process runner) and in a
Celery worker. Every event gets the next ``seq``; a transcript event is committed to the
store before anyone sees it (fenced by this process's lease, so a process that lost the
run writes nothing more), then it goes to the run's live handle and, on a worker, to the
run's Redis stream. That order makes the store's order the engine's order.

A chat's end is held back until the next event, and committed with it: nothing can come
between a top-level chat's end (or, once the run is cancelled, any chat's end) and what
follows, so this costs no wait. The run's end -- the held chat ends, the ``run_finished``
event and the run's status -- is therefore one transaction, flushed to disk once: stored
whole or not at all (a run whose end was not stored is marked ``interrupted`` later).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from studio.engine import Cancelled, ReplayError, RunControl, events
from studio.engine.transcript import RunOutcome, describe_error, event_record, run_outcome
from studio.store import LeaseLost, NotFound

from ._budget import daily_limit_reached, limits_usage
from ._handle import CANCELLED, FAILED, INTERRUPTED, RunHandle, TrackedHuman
from ._lineage import lineage_note
from ._persist import is_persisted, persist, store_row

if TYPE_CHECKING:
    from studio.store import Actor, Budget, Store

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
        self._held: list[dict[str, Any]] = []  # chat ends numbered, stored with what follows
        self._budget: tuple[Actor, Budget] | None | bool = False  # False: not looked up yet
        self.stopped_for: str | None = None  # the reason the studio stopped the run, if it did

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
            if kind == "run_finished":
                return  # the team's own marker: ours is written by end(), with the status
            data["seq"] = handle._next_seq() + len(self._held)
            if kind == "chat_finished" and self._holds(data):
                self._held.append(data)
                return
            batch, self._held = [*self._held, data], []
            if not self._store([e for e in batch if is_persisted(e["type"])]):
                return
            handle._saw_start = handle._saw_start or kind == "run_started"
            if kind in ("human_input_requested", "human_input_received"):
                # whoever sees the question sees the run waiting for its answer (the
                # mailbox takes the question only once this event is out)
                handle._asked = kind == "human_input_requested"
            for item in batch:
                handle._publish(item)
        self._mirror(batch)
        if kind == "error" and data.get("text"):
            handle._last_error = str(data["text"])
        if kind == "human_input_requested":
            handle._request_seq = int(data["seq"])
        if kind == "message" and data.get("usage"):
            total = handle.usage["total"]
            self.store.update_run_usage(handle.run_id, total["total_tokens"], total["cost"])
            self._check_budget()

    def _check_budget(self) -> None:
        """Stop the run once its owner's runs reach their daily tokens or cost (checked
        after each message that used a model; the transcript says why it stopped)."""
        if self._budget is False:
            try:
                actor = self.store.actor_by_id(self.handle.owner_id)
            except NotFound:  # the account is gone: nobody's budget to keep
                self._budget = None
                return
            budget = self.store.budget_for(actor)
            self._budget = (actor, budget) if limits_usage(budget) else None
        if not isinstance(self._budget, tuple) or self.stopped_for:
            return
        reached = daily_limit_reached(self.store, *self._budget)
        if reached:
            self.stop_for("budget reached", reached)

    def answer_overdue(self, seconds: float) -> None:
        """A question waited ``seconds`` for an answer nobody sent (a service's caller went
        away): stop the run rather than hold it open forever."""
        self.stop_for("no answer", f"Nobody answered within {_duration(seconds)}.")

    def stop_for(self, reason: str, why: str) -> None:
        """Stop the run for the studio's own ``reason`` (its status: cancelled, with that
        reason), saying ``why`` in the transcript."""
        if self.stopped_for or self.control is None or self.control.cancelled:
            return
        self.stopped_for = reason
        self.notice(f"{why} The run stops here; everything said so far is kept.",
                    kind="stopped")
        self.control.cancel()

    def _holds(self, data: dict[str, Any]) -> bool:
        """Whether this chat end can wait for the next event (see the module's docstring)."""
        return not data.get("depth") or (self.control is not None and self.control.cancelled)

    def _store(self, batch: list[dict[str, Any]]) -> bool:
        """Commit ``batch`` (one transaction); False when another process holds the run."""
        if not batch:
            return True
        try:
            persist(self.store, self.handle.run_id, batch, holder=self.holder)
        except LeaseLost:
            self._lose()
            return False
        return True

    def _mirror(self, batch: list[dict[str, Any]]) -> None:
        if self.mirror is not None:
            for item in batch:
                self.mirror(self.handle, item)

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
            followup: str | list[str] | None = None,
            lineage: dict[str, Any] | None = None) -> None:
        """Run ``team`` on ``task`` to its end (blocking) and record how it ended.

        ``announce``: emit the run's ``run_started`` envelope (a resumed run has one already).
        ``followup``: continue the (replayed) conversation with this message (or these, in
        order: the follow-ups a continued run sent before are sent again); ``lineage``:
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
        if outcome.status == CANCELLED and self.stopped_for:
            outcome = RunOutcome(CANCELLED, self.stopped_for, outcome.summary)
        if self.lost:
            handle._finish(INTERRUPTED, reason="another process took the run over",
                           summary="", error=None)
            return
        self.end(outcome)

    def end(self, outcome: RunOutcome) -> None:
        """Record how the run ended: the chat ends still held, the ``run_finished`` event
        and the run's status in one transaction; then show them and close the handle."""
        handle = self.handle
        usage = handle.usage
        total = usage.get("total", {})
        error = outcome.error
        batch: list[dict[str, Any]] = []
        with handle._changed:
            final = {**outcome.final_record(usage), "seq": handle._next_seq() + len(self._held)}
            batch, self._held = [*self._held, final], []
            try:
                self.store.finish_run(
                    handle.run_id, outcome.status,
                    f"error: {error}" if error else outcome.reason, outcome.summary,
                    {**usage, "total_tokens": total.get("total_tokens", 0),
                     "cost": total.get("cost", 0.0)},
                    holder=self.holder, events=[store_row(e) for e in batch])
            except LeaseLost:
                self._lose()
                batch = []
            except Exception:  # the store is gone: nothing of the end is stored, nor shown
                batch = []
            for item in batch:
                handle._publish(item)
        try:
            self._mirror(batch)
        except Exception:  # the live stream is away: the run's end is stored
            pass
        handle._finish(outcome.status, reason=outcome.reason, summary=outcome.summary,
                       error=error)


def _duration(seconds: float) -> str:
    """``90`` -> "2 minutes", ``3600`` -> "1 hour", ``5`` -> "5 seconds"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = max(1, round(seconds))
    return f"{count} second{'s' if count != 1 else ''}"


def expire_unanswered(human: TrackedHuman, execution: Execution, seconds: float | None) -> None:
    """With ``seconds``, a question left unanswered that long stops the run."""
    if seconds:
        human.expire_after(float(seconds), lambda _request: execution.answer_overdue(seconds))

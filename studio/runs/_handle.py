"""A run going on in this process: its live events, status and controls."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.engine import (
    CancelToken,
    HumanAnswer,
    HumanInputProvider,
    HumanInputRequest,
    RunControl,
    check_answer,
)

from ._errors import RunError

QUEUED, RUNNING, WAITING, PAUSED = "queued", "running", "waiting", "paused"
FINISHED, FAILED, CANCELLED, INTERRUPTED = "finished", "failed", "cancelled", "interrupted"
FINAL_STATUSES = (FINISHED, FAILED, CANCELLED, INTERRUPTED)


class TrackedHuman:
    """Wraps a human-input provider to know what is being asked right now.

    ``on_change(request or None)`` is told when a question starts and ends (a worker
    shows it to every studio process).
    """

    def __init__(self, inner: HumanInputProvider,
                 on_change: Callable[[HumanInputRequest | None], None] | None = None) -> None:
        self.inner = inner
        self.pending: HumanInputRequest | None = None
        self.on_change = on_change
        self._expiry: tuple[float, Callable[[HumanInputRequest], None]] | None = None

    def expire_after(self, seconds: float, on_expire: Callable[[HumanInputRequest], None],
                     ) -> None:
        """Call ``on_expire(question)`` when a question waits ``seconds`` for its answer
        (it is expected to stop the run, which ends the wait)."""
        self._expiry = (seconds, on_expire)

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        timer = None
        if self._expiry is not None:
            seconds, on_expire = self._expiry
            timer = threading.Timer(seconds, self._expire, args=(request, on_expire))
            timer.daemon = True
            timer.start()
        self.pending = request
        if self.on_change is not None:
            self.on_change(request)
        try:
            return self.inner.ask(request, cancel)
        finally:
            if timer is not None:
                timer.cancel()
            self.pending = None
            if self.on_change is not None:
                self.on_change(None)

    def _expire(self, request: HumanInputRequest,
                on_expire: Callable[[HumanInputRequest], None]) -> None:
        if self.pending is request:  # not answered in the meantime
            on_expire(request)



def check_pending_answer(request: HumanInputRequest | None, answer: HumanAnswer) -> None:
    """Raise :class:`RunError` unless ``answer`` fits the question the run waits on (for a
    local run and a run on a worker alike)."""
    if request is None:
        raise RunError("nobody is waiting for an answer; use interject to step in")
    try:
        check_answer(request, answer)
    except ValueError as exc:
        raise RunError(str(exc)) from None
    if request.kind == "speaker" and request.options and answer not in request.options:
        raise RunError(f"{answer!r} cannot speak next; choose one of: "
                       + ", ".join(request.options))

class RunHandle:
    """One run live in this process. Thread-safe; every method may be called from any thread.

    Events are dicts (``events.Event.to_dict()`` plus ``seq``, from 1), token deltas
    included. Controls (answer, interject, pause, resume, cancel) act on the running
    conversation; once the run has ended they raise :class:`RunError` (cancel is a no-op).
    """

    def __init__(self, run_id: str, *, template_name: str, task: str, model_label: str,
                 work_dir: Path, control: RunControl, human: TrackedHuman,
                 owner_id: int | None = None, owner_name: str = "",
                 first_seq: int = 1) -> None:
        self.run_id = run_id
        self.owner_id = owner_id  # who started it (None: the personal-mode user)
        self.owner_name = owner_name
        self.template_name = template_name
        self.task = task
        self.model_label = model_label
        self.work_dir = work_dir
        self.started_at = time.time()
        self.finished_at: float | None = None
        self.reason = ""
        self.summary = ""
        self.error: str | None = None
        self._last_error: str | None = None
        self._control = control
        self._human = human
        self._events: list[dict[str, Any]] = []
        self._base = first_seq - 1  # a resumed run goes on after the seqs already used
        self._saw_start = first_seq > 1
        self._request_seq = 0  # the seq of the question being asked (human_input_requested)
        self._asked = False  # a question is out and its answer not in yet
        self._changed = threading.Condition()
        self._final: str | None = None
        self._done = threading.Event()

    def __repr__(self) -> str:
        return f"RunHandle({self.run_id!r}, template={self.template_name!r}, status={self.status!r})"

    # -- events ----------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        with self._changed:
            return self._base + len(self._events)

    def events_since(self, seq: int = 0) -> list[dict[str, Any]]:
        """The events whose ``seq`` is greater than ``seq``, in order (a resumed run holds
        only those since it was resumed here)."""
        with self._changed:
            return list(self._events[max(seq - self._base, 0):])

    def wait_for_events(self, seq: int, timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until there are events after ``seq`` or the run ended (or ``timeout``);
        return the new events (possibly none)."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._base + len(self._events) > seq or self._final is not None, timeout)
            return list(self._events[max(seq - self._base, 0):])

    def _next_seq(self) -> int:
        return self._base + len(self._events) + 1

    def _publish(self, event: dict[str, Any]) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    # -- state -----------------------------------------------------------------------------
    @property
    def status(self) -> str:
        """running | waiting (for the human) | paused | finished | failed | cancelled |
        interrupted (it could not go on safely)."""
        if self._final is not None:
            return self._final
        if self._human.pending is not None or self._asked:
            return WAITING
        if self._control.paused:
            return PAUSED
        return RUNNING

    @property
    def done(self) -> bool:
        return self._final is not None

    @property
    def pending(self) -> HumanInputRequest | None:
        """What the human is being asked right now (kind reply | speaker | code_approval)."""
        return None if self._final is not None else self._question()

    def _question(self) -> HumanInputRequest | None:
        """The question the run waits on. Once its event is out (the status says waiting)
        the mailbox takes it a moment later: that moment is waited out (at most 2 s)."""
        deadline = time.monotonic() + 2.0
        request = self._human.pending
        while request is None and self._asked and time.monotonic() < deadline:
            time.sleep(0.002)
            request = self._human.pending
        return request

    @property
    def usage(self) -> dict[str, Any]:
        """Tokens and cost: ``{"total": {...}, "by_agent": {...}, "by_model": {...}}``."""
        return self._control.usage.to_dict()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended; True if it has."""
        return self._done.wait(timeout)

    def _finish(self, status: str, *, reason: str, summary: str, error: str | None) -> None:
        self.reason, self.summary, self.error = reason, summary, error
        self.finished_at = time.time()
        with self._changed:
            self._final = status
            self._changed.notify_all()
        self._done.set()

    # -- controls --------------------------------------------------------------------------
    def _require_live(self, action: str) -> None:
        if self._final is not None:
            raise RunError(f"cannot {action}: run {self.run_id} has already {self._final}")

    def answer(self, answer: HumanAnswer) -> None:
        """Answer the pending request: reply text, a speaker's name, or for a code approval a
        :class:`~studio.engine.CodeDecision` (approve, refuse with a reason, or edited code)."""
        self._require_live("answer")
        inner = self._human.inner
        if not hasattr(inner, "put"):
            raise RunError("this run does not take answers: start it with human='mailbox'")
        # The question is out (the status says waiting) a moment before the mailbox has it,
        # and the run waits on it a moment after that: an answer given in either moment is
        # handed over once the run waits.
        request = self._question()
        check_pending_answer(request, answer)
        deadline = time.monotonic() + 2.0
        while not inner.put(answer):
            if self._human.pending is not request or time.monotonic() > deadline:
                raise RunError("that question was already answered or timed out")
            time.sleep(0.005)

    def interject(self, text: str) -> None:
        """Step in: the message is delivered before the next turn."""
        self._require_live("interject")
        if not text.strip():
            raise RunError("an interjection needs some text")
        if not self._control.interject(text):
            raise RunError(f"cannot interject: run {self.run_id} has already ended, so your "
                           "message was not sent")

    def pause(self) -> None:
        self._require_live("pause")
        self._control.pause()

    def resume(self) -> None:
        self._require_live("resume")
        self._control.resume()

    def cancel(self) -> None:
        """Stop the run (within a second); does nothing once it has ended."""
        if self._final is None:
            self._control.cancel()

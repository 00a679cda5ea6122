"""A run executing on a Celery worker, seen from any studio process.

:class:`RemoteHandle` has the surface of :class:`RunHandle` (events, status, the pending
question, the controls), so pages never know where a run executes. Events and state come
from the run's Redis channel; controls go to the worker through it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.engine import CodeBlock, CodeDecision, HumanAnswer, HumanInputRequest

from ._channel import RunChannel
from ._errors import RunError
from ._handle import FINAL_STATUSES, QUEUED, check_pending_answer

if TYPE_CHECKING:
    from studio.store import RunInfo, Store


class RemoteHandle:
    """One run on a worker. Every method may be called from any thread and any process."""

    def __init__(self, channel: RunChannel, info: RunInfo, store: Store, *,
                 owner_name: str = "") -> None:
        self.run_id = info.id
        self.owner_id = info.owner_id  # who started it (None: the personal-mode user)
        self.owner_name = owner_name
        self.template_name = info.template_name
        self.task = info.task
        self.model_label = info.model_label
        self.started_at = info.started_at
        self._channel = channel
        self._store = store
        self._info = info
        self._state: dict[str, Any] = {}
        self._read_at = 0.0

    def __repr__(self) -> str:
        return f"RemoteHandle({self.run_id!r}, template={self.template_name!r})"

    # -- state -----------------------------------------------------------------------------
    def _fresh(self, max_age: float = 0.05) -> dict[str, Any]:
        if time.monotonic() - self._read_at > max_age:
            self._state = self._channel.state()
            self._read_at = time.monotonic()
        return self._state

    @property
    def status(self) -> str:
        """queued (waiting for a worker) | running | waiting | paused | finished | failed |
        cancelled | interrupted."""
        return str(self._fresh().get("status") or QUEUED)

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def pending(self) -> HumanInputRequest | None:
        state = self._fresh()
        request = state.get("pending")
        if not request or state.get("status") in FINAL_STATUSES:
            return None
        return HumanInputRequest(agent=request.get("agent", ""), prompt=request.get("prompt", ""),
                                 kind=request.get("kind", "reply"),
                                 options=tuple(request.get("options") or ()),
                                 blocks=tuple(CodeBlock(code=str(b.get("code", "")),
                                                        language=str(b.get("language", "")))
                                              for b in request.get("blocks") or ()))

    @property
    def usage(self) -> dict[str, Any]:
        return dict(self._fresh().get("usage") or {"total": {}, "by_agent": {}, "by_model": {}})

    @property
    def reason(self) -> str:
        return str(self._fresh().get("reason") or "")

    @property
    def summary(self) -> str:
        return str(self._fresh().get("summary") or "")

    @property
    def error(self) -> str | None:
        value = self._fresh().get("error")
        return str(value) if value else None

    @property
    def work_dir(self) -> Path | None:
        value = self._fresh().get("work_dir") or self._info.work_dir
        return Path(value) if value else None

    @property
    def finished_at(self) -> float | None:
        value = self._fresh().get("finished_at")
        return float(value) if value else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the run has ended; True if it has."""
        deadline = None if timeout is None else time.monotonic() + timeout
        seq = self.last_seq
        while not self.done:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            new = self._channel.wait_for_events(seq, min(left or 1.0, 1.0))
            if new:
                seq = int(new[-1]["seq"])
            self._read_at = 0.0
        return True

    # -- events ----------------------------------------------------------------------------
    @property
    def last_seq(self) -> int:
        return self._channel.last_seq()

    def events_since(self, seq: int = 0) -> list[dict[str, Any]]:
        """The events whose ``seq`` is greater than ``seq``, in order."""
        return self._channel.events_since(seq)

    def wait_for_events(self, seq: int, timeout: float | None = None) -> list[dict[str, Any]]:
        """Block until there are events after ``seq`` or the run ended (or ``timeout``)."""
        found = self._channel.events_since(seq)
        if found or self.done:
            return found
        return self._channel.wait_for_events(seq, 1.0 if timeout is None else timeout)

    # -- controls --------------------------------------------------------------------------
    def _require_live(self, action: str) -> None:
        status = self.status
        if status in FINAL_STATUSES:
            raise RunError(f"cannot {action}: run {self.run_id} has already {status}")

    def answer(self, answer: HumanAnswer) -> None:
        """Answer the pending request: reply text, a speaker's name, or for a code approval a
        CodeDecision (it travels as its ``to_dict()``)."""
        self._require_live("answer")
        state = self._fresh(max_age=0.0)
        check_pending_answer(self.pending, answer)
        seq = int(state.get("request_seq") or 0)
        if isinstance(answer, CodeDecision):
            self._channel.send("answer", decision=answer.to_dict(), request_seq=seq)
        else:
            self._channel.send("answer", text=answer, request_seq=seq)

    def interject(self, text: str) -> None:
        """Step in: the message is delivered before the next turn."""
        self._require_live("interject")
        if not text.strip():
            raise RunError("an interjection needs some text")
        if not self._channel.send_while_open("interject", text=text):
            raise RunError(f"cannot interject: run {self.run_id} has already ended, so your "
                           "message was not sent")

    def pause(self) -> None:
        self._require_live("pause")
        self._channel.send("pause")

    def resume(self) -> None:
        self._require_live("resume")
        self._channel.send("resume")

    def cancel(self) -> None:
        """Stop the run (within a second or two); does nothing once it has ended."""
        if not self.done:
            self._channel.send("cancel")

"""Human input providers: where an agent's question to the human goes.

A provider answers a :class:`HumanInputRequest` with text. The console provider reads
stdin; the :class:`Mailbox` is filled by another thread (the studio's page); the
scripted one is for tests and headless runs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._control import CancelToken


@dataclass(frozen=True)
class HumanInputRequest:
    agent: str  # who asks
    prompt: str  # what is asked (includes the message being answered)
    kind: str = "reply"  # reply | speaker | code_approval
    options: tuple[str, ...] = ()  # for kind "speaker": the eligible agents


class HumanInputProvider(Protocol):
    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str: ...


class NoHuman:
    """No human present: every question gets the empty answer."""

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        return ""


class ScriptedHuman:
    """Answers from a list, in order; ``exit`` once the list is used up."""

    def __init__(self, answers: Iterable[str], *, then: str = "exit") -> None:
        self._answers = list(answers)
        self._then = then
        self.requests: list[HumanInputRequest] = []

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        self.requests.append(request)
        return self._answers.pop(0) if self._answers else self._then


class ConsoleHuman:
    """Reads answers from the terminal (``input``).

    The read happens on a helper thread so that a cancelled run stops at once and an
    optional ``timeout`` (seconds) gives ``default`` to an unanswered question.
    """

    def __init__(self, read: Callable[[str], str] = input, *, timeout: float | None = None,
                 default: str = "") -> None:
        self._read = read
        self.timeout = timeout
        self.default = default

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        if request.kind == "speaker":
            prompt = f"Choose the next speaker ({', '.join(request.options)}): "
        else:
            prompt = f"{request.prompt}\n[{request.agent}] your reply (empty = auto, exit = end): "
        box: queue.Queue[str] = queue.Queue()

        def read() -> None:
            try:
                box.put(self._read(prompt))
            except (EOFError, OSError):
                box.put("exit")

        threading.Thread(target=read, name="console-human", daemon=True).start()
        return _wait(box, cancel, self.timeout, self.default)


def _wait(box: queue.Queue[str], cancel: CancelToken, timeout: float | None, default: str) -> str:
    """The next item of ``box``; raises Cancelled when cancelled; ``default`` after ``timeout``."""
    from ._control import Cancelled

    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if cancel.is_set():
            raise Cancelled()
        try:
            return box.get(timeout=0.1)
        except queue.Empty:
            if deadline is not None and time.monotonic() >= deadline:
                return default


class Mailbox:
    """A provider another thread fills: the run blocks in :meth:`ask` until :meth:`put`.

    Only the question being asked can be answered: an answer given when nothing is pending
    (late, after a timeout) is refused, never carried over to the next question.
    ``timeout`` (seconds) makes an unanswered question get ``default`` instead of waiting
    forever. Cancelling the run unblocks a waiting ask at once.
    """

    def __init__(self, *, timeout: float | None = None, default: str = "") -> None:
        self._answers: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self.timeout = timeout
        self.default = default
        self.pending: HumanInputRequest | None = None

    def put(self, text: str) -> bool:
        """Answer the pending question; False (and nothing queued) when none is pending."""
        with self._lock:
            if self.pending is None:
                return False
            self._answers.put(text)
            return True

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        with self._lock:
            while not self._answers.empty():  # nothing stale reaches this question
                self._answers.get_nowait()
            self.pending = request
        try:
            return _wait(self._answers, cancel, self.timeout, self.default)
        finally:
            with self._lock:
                self.pending = None

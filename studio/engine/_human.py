"""Human input providers: where an agent's question to the human goes.

A provider answers a :class:`HumanInputRequest` with text. The console provider reads
stdin; the :class:`Mailbox` is filled by another thread (the studio's page); the
scripted one is for tests and headless runs.
"""

from __future__ import annotations

import queue
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
    """Reads answers from the terminal (``input``)."""

    def __init__(self, read: Callable[[str], str] = input) -> None:
        self._read = read

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        if request.kind == "speaker":
            prompt = f"Choose the next speaker ({', '.join(request.options)}): "
        else:
            prompt = f"{request.prompt}\n[{request.agent}] your reply (empty = auto, exit = end): "
        try:
            return self._read(prompt)
        except EOFError:
            return "exit"


class Mailbox:
    """A provider another thread fills: the run blocks in :meth:`ask` until :meth:`put`.

    ``timeout`` (seconds) makes an unanswered question get ``default`` instead of
    waiting forever. Cancelling the run unblocks a waiting ask at once.
    """

    def __init__(self, *, timeout: float | None = None, default: str = "") -> None:
        self._answers: queue.Queue[str] = queue.Queue()
        self.timeout = timeout
        self.default = default
        self.pending: HumanInputRequest | None = None

    def put(self, text: str) -> None:
        self._answers.put(text)

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> str:
        from ._control import Cancelled

        self.pending = request
        waited = 0.0
        try:
            while True:
                if cancel.is_set():
                    raise Cancelled()
                try:
                    return self._answers.get(timeout=0.1)
                except queue.Empty:
                    waited += 0.1
                    if self.timeout is not None and waited >= self.timeout:
                        return self.default
        finally:
            self.pending = None

"""Human input providers: where an agent's question to the human goes.

A provider answers a :class:`HumanInputRequest`: with text for a reply or a speaker, and
with a :class:`CodeDecision` (approve / refuse with a reason / edited code) for a code
approval, so that no typed word is ever mistaken for consent. The console provider reads
stdin; the :class:`Mailbox` is filled by another thread (the studio's page); the scripted
one is for tests and headless runs.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from ._control import CancelToken
    from .code._interface import CodeBlock

CODE_APPROVAL = "code_approval"
CodeAction = Literal["approve", "refuse", "edit"]
_ACTIONS: tuple[str, ...] = ("approve", "refuse", "edit")


@dataclass(frozen=True)
class HumanInputRequest:
    agent: str  # who asks
    prompt: str  # what is asked (includes the message being answered)
    kind: str = "reply"  # reply | speaker | code_approval
    options: tuple[str, ...] = ()  # for kind "speaker": the eligible agents
    blocks: tuple[CodeBlock, ...] = ()  # for kind "code_approval": the code asking to run


@dataclass(frozen=True)
class CodeDecision:
    """The answer to a code approval: run it, refuse it (saying why), or run edited code.

    Plain strings only, so it crosses processes as JSON (:meth:`to_dict`/:meth:`from_dict`).
    """

    action: CodeAction
    reason: str = ""  # refuse: why (the agents read it)
    code: str = ""  # edit: the code to run instead (fenced blocks or bare code)

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            raise ValueError(f"a code decision is approve, refuse or edit, not {self.action!r}")
        if self.action == "edit" and not self.code.strip():
            raise ValueError("an edited code decision needs the code to run")

    @classmethod
    def approve(cls) -> CodeDecision:
        return cls("approve")

    @classmethod
    def refuse(cls, reason: str = "") -> CodeDecision:
        return cls("refuse", reason=reason.strip())

    @classmethod
    def edit(cls, code: str) -> CodeDecision:
        return cls("edit", code=code)

    def to_dict(self) -> dict[str, str]:
        return {"action": self.action, "reason": self.reason, "code": self.code}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CodeDecision:
        if not isinstance(data, Mapping) or not isinstance(data.get("action"), str):
            raise ValueError(f"not a code decision: {data!r}")
        return cls(data["action"], reason=str(data.get("reason") or ""),
                   code=str(data.get("code") or ""))

    def describe(self) -> str:
        """One line for transcripts and logs."""
        if self.action == "approve":
            return "approved the code"
        if self.action == "edit":
            return "edited the code"
        return f"refused the code: {self.reason}" if self.reason else "refused the code"


HumanAnswer = str | CodeDecision


def check_answer(request: HumanInputRequest, answer: object) -> HumanAnswer:
    """``answer`` if it fits ``request`` (a CodeDecision for a code approval, text otherwise);
    raises ValueError saying what fits."""
    if request.kind == CODE_APPROVAL:
        if not isinstance(answer, CodeDecision):
            raise ValueError("a code approval is answered with a CodeDecision (approve, refuse "
                             f"with a reason, or edited code), not {type(answer).__name__} "
                             f"{answer!r}")
        return answer
    if not isinstance(answer, str):
        raise ValueError(f"a {request.kind} request is answered with text, not "
                         f"{type(answer).__name__}")
    return answer


class HumanInputProvider(Protocol):
    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer: ...


NOBODY_TO_APPROVE = "nobody was there to approve it (the run is unattended)"


class NoHuman:
    """No human present: every question gets the empty answer, and code waiting for approval
    is refused (nobody approved it)."""

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        return CodeDecision.refuse(NOBODY_TO_APPROVE) if request.kind == CODE_APPROVAL else ""


class ScriptedHuman:
    """Answers from a list, in order (text, or a CodeDecision for code approvals); once the
    list is used up, ``then`` (code approvals: refused)."""

    def __init__(self, answers: Iterable[HumanAnswer], *, then: str = "exit") -> None:
        self._answers = list(answers)
        self._then = then
        self.requests: list[HumanInputRequest] = []

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        self.requests.append(request)
        if self._answers:
            return self._answers.pop(0)
        if request.kind == CODE_APPROVAL:
            return CodeDecision.refuse("the scripted human has no answers left")
        return self._then


class ConsoleHuman:
    """Reads answers from the terminal (``input``).

    The read happens on a helper thread so that a cancelled run stops at once and an
    optional ``timeout`` (seconds) gives ``default`` to an unanswered question (a code
    approval left unanswered is refused). Code approvals are a small dialogue: run it
    (y), refuse it (n, then why) or edit it (e, then the code).
    """

    def __init__(self, read: Callable[[str], str] = input, *, timeout: float | None = None,
                 default: str = "") -> None:
        self._read = read
        self.timeout = timeout
        self.default = default

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        box: queue.Queue[HumanAnswer] = queue.Queue()
        if request.kind == CODE_APPROVAL:
            def read() -> None:
                box.put(read_code_decision(request, self._read))

            default: HumanAnswer = CodeDecision.refuse("nobody answered in time")
        else:
            if request.kind == "speaker":
                prompt = f"Choose the next speaker ({', '.join(request.options)}): "
            else:
                prompt = (f"{request.prompt}\n[{request.agent}] your reply "
                          "(empty = auto, exit = end): ")

            def read() -> None:
                try:
                    box.put(self._read(prompt))
                except (EOFError, OSError):
                    box.put("exit")

            default = self.default
        threading.Thread(target=read, name="console-human", daemon=True).start()
        return _wait(box, cancel, self.timeout, default)


APPROVAL_QUESTION = "Run this code? [y]es, [n]o (refuse), [e]dit: "
EDIT_PROMPT = "Type the code to run instead; end with a line holding only a dot (.):"


def read_code_decision(request: HumanInputRequest, read: Callable[[str], str],
                       *, attempts: int = 3) -> CodeDecision:
    """The console dialogue for a code approval, over ``read(prompt) -> line`` (``input``).

    The action is chosen by its own word, never guessed from a reason: ``y``/``yes``/``run``
    approves, ``n``/``no``/``refuse`` asks why, ``e``/``edit`` reads new code up to a line
    holding only ``.``. An unknown choice is asked again; end of input refuses.
    """
    try:
        question = f"{request.prompt}\n[{request.agent}] {APPROVAL_QUESTION}"
        for _ in range(attempts):
            choice = read(question).strip().lower()
            if choice in ("y", "yes", "run", "approve"):
                return CodeDecision.approve()
            if choice in ("n", "no", "refuse"):
                return CodeDecision.refuse(read("Why not? (the agents read this): "))
            if choice in ("e", "edit"):
                lines: list[str] = []
                line = read(EDIT_PROMPT + "\n")
                while line.strip() != ".":
                    lines.append(line)
                    line = read("")
                if "\n".join(lines).strip():
                    return CodeDecision.edit("\n".join(lines))
                question = "No code given. " + APPROVAL_QUESTION
                continue
            question = f"Please answer y, n or e. {APPROVAL_QUESTION}"
        return CodeDecision.refuse("no clear answer was given")
    except (EOFError, OSError):
        return CodeDecision.refuse("no answer (end of input)")


def _wait(box: queue.Queue[HumanAnswer], cancel: CancelToken, timeout: float | None,
          default: HumanAnswer) -> HumanAnswer:
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
    (late, after a timeout) is refused, never carried over to the next question; an answer
    of the wrong shape (text for a code approval) raises ValueError. ``timeout`` (seconds)
    makes an unanswered question get ``default`` (a code approval: refused) instead of
    waiting forever. Cancelling the run unblocks a waiting ask at once.
    """

    def __init__(self, *, timeout: float | None = None, default: str = "") -> None:
        self._answers: queue.Queue[HumanAnswer] = queue.Queue()
        self._lock = threading.Lock()
        self.timeout = timeout
        self.default = default
        self.pending: HumanInputRequest | None = None

    def put(self, answer: HumanAnswer) -> bool:
        """Answer the pending question; False (and nothing queued) when none is pending."""
        with self._lock:
            if self.pending is None:
                return False
            self._answers.put(check_answer(self.pending, answer))
            return True

    def ask(self, request: HumanInputRequest, cancel: CancelToken) -> HumanAnswer:
        with self._lock:
            while not self._answers.empty():  # nothing stale reaches this question
                self._answers.get_nowait()
            self.pending = request
        default: HumanAnswer = (CodeDecision.refuse("nobody answered in time")
                                if request.kind == CODE_APPROVAL else self.default)
        try:
            return _wait(self._answers, cancel, self.timeout, default)
        finally:
            with self._lock:
                self.pending = None

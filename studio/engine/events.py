"""Typed events the engine emits while a conversation runs.

Every event is a small frozen dataclass with a ``type`` tag. The UI, the CLI and the
store all consume the same stream. ``transient`` events (token deltas, model calls) are
for live views only: a stored transcript leaves them out. ``chat_id`` names the chat an event belongs to;
nested chats carry ``parent_chat_id`` on their :class:`ChatStarted` and a ``depth`` > 0.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from ._messages import Message


@dataclass(frozen=True, kw_only=True)
class Event:
    type: ClassVar[str] = "event"
    #: True for events about the live moment (a streamed token, a pause), which are not
    #: part of the conversation: stores may skip them, and a :class:`Recording` ignores them.
    transient: ClassVar[bool] = False
    chat_id: str = ""
    depth: int = 0
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if isinstance(getattr(self, "message", None), Message):
            data["message"] = self.message.to_dict()  # type: ignore[attr-defined]
        data["type"] = self.type
        return data


@dataclass(frozen=True, kw_only=True)
class RunStarted(Event):
    type: ClassVar[str] = "run_started"
    task: str = ""


@dataclass(frozen=True, kw_only=True)
class ChatStarted(Event):
    type: ClassVar[str] = "chat_started"
    kind: str = "two_agent"  # two_agent | group | nested | sequence
    sender: str = ""
    recipient: str = ""
    members: tuple[str, ...] = ()
    parent_chat_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class SpeakerSelected(Event):
    type: ClassVar[str] = "speaker_selected"
    speaker: str = ""
    method: str = ""
    round: int = 0
    usage: dict[str, Any] | None = None  # auto selection: what its model calls used


@dataclass(frozen=True, kw_only=True)
class TokenDelta(Event):
    """A piece of a message being streamed by ``agent``; a :class:`MessageSent` follows."""

    type: ClassVar[str] = "token"
    transient: ClassVar[bool] = True
    agent: str = ""
    delta: str = ""


@dataclass(frozen=True, kw_only=True)
class ModelCallStarted(Event):
    """``agent`` asked its model (labelled ``model``) for a reply, a speaker choice or a
    summary (``purpose``). Transient: the run's next event ends the wait, so a live view
    can show "waiting for the model (12 s)" in between."""

    type: ClassVar[str] = "model_call"
    transient: ClassVar[bool] = True
    agent: str = ""
    model: str = ""
    purpose: str = "reply"


@dataclass(frozen=True, kw_only=True)
class MessageSent(Event):
    """A message was sent from ``sender`` to ``recipient`` (a group: the manager's name)."""

    type: ClassVar[str] = "message"
    sender: str = ""
    recipient: str = ""
    message: Message = field(default_factory=lambda: Message(role="user", content=""))
    usage: dict[str, Any] | None = None  # {"prompt_tokens", "completion_tokens", "cost", "model"}


@dataclass(frozen=True, kw_only=True)
class ToolCallStarted(Event):
    type: ClassVar[str] = "tool_call"
    agent: str = ""
    call_id: str = ""
    name: str = ""
    arguments: str = ""


@dataclass(frozen=True, kw_only=True)
class ToolResult(Event):
    type: ClassVar[str] = "tool_result"
    agent: str = ""
    call_id: str = ""
    name: str = ""
    content: str = ""
    is_error: bool = False


@dataclass(frozen=True, kw_only=True)
class CodeExecutionStarted(Event):
    """Code is about to run (recorded, so a resumed run knows whether it was in flight)."""

    type: ClassVar[str] = "code_started"
    agent: str = ""
    languages: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class CodeExecuted(Event):
    type: ClassVar[str] = "code_executed"
    agent: str = ""
    languages: tuple[str, ...] = ()
    exit_code: int = 0
    output: str = ""
    sandbox: str = ""
    files: tuple[dict[str, Any], ...] = ()  # {"name", "size"}
    duration: float = 0.0


@dataclass(frozen=True, kw_only=True)
class HumanInputRequested(Event):
    type: ClassVar[str] = "human_input_requested"
    agent: str = ""
    prompt: str = ""
    kind: str = "reply"  # reply | speaker | code_approval
    options: tuple[str, ...] = ()
    blocks: tuple[Any, ...] = ()  # code_approval: the CodeBlocks asking to run


@dataclass(frozen=True, kw_only=True)
class HumanInputReceived(Event):
    type: ClassVar[str] = "human_input_received"
    agent: str = ""
    text: str = ""  # the reply; for a code approval, a line describing the decision
    kind: str = "reply"
    decision: dict[str, str] | None = None  # code_approval: CodeDecision.to_dict()


@dataclass(frozen=True, kw_only=True)
class Interjection(Event):
    """The human stepped in from outside; the message is delivered before the next turn."""

    type: ClassVar[str] = "interjection"
    text: str = ""
    recipient: str = ""


@dataclass(frozen=True, kw_only=True)
class RunPaused(Event):
    type: ClassVar[str] = "paused"
    transient: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class RunResumed(Event):
    type: ClassVar[str] = "resumed"
    transient: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class Warning(Event):  # noqa: A001 - the event is a warning, not the builtin
    type: ClassVar[str] = "warning"
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class Error(Event):
    type: ClassVar[str] = "error"
    text: str = ""
    agent: str = ""


@dataclass(frozen=True, kw_only=True)
class ChatFinished(Event):
    type: ClassVar[str] = "chat_finished"
    reason: str = ""
    summary: str = ""
    usage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RunFinished(Event):
    type: ClassVar[str] = "run_finished"
    reason: str = ""
    summary: str = ""
    usage: dict[str, Any] = field(default_factory=dict)


EventHandler = Callable[[Event], None]

ALL_EVENTS: tuple[type[Event], ...] = (
    RunStarted,
    ChatStarted,
    SpeakerSelected,
    TokenDelta,
    ModelCallStarted,
    MessageSent,
    ToolCallStarted,
    ToolResult,
    CodeExecutionStarted,
    CodeExecuted,
    HumanInputRequested,
    HumanInputReceived,
    Interjection,
    RunPaused,
    RunResumed,
    Warning,
    Error,
    ChatFinished,
    RunFinished,
)

#: Event types about the live moment only (see :attr:`Event.transient`).
TRANSIENT_TYPES: frozenset[str] = frozenset(cls.type for cls in ALL_EVENTS if cls.transient)

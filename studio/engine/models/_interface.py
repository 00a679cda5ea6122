"""The one small interface every model provider implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .._messages import Message, ToolCall
from .._usage import Usage

if TYPE_CHECKING:
    from .._control import CancelToken

Purpose = Literal["reply", "select_speaker", "summary"]
TokenCallback = Callable[[str], None]


@dataclass(frozen=True)
class ModelRequest:
    """Everything a model needs for one completion.

    ``messages`` starts with the system message when the agent has one. ``tools`` are
    OpenAI-style tool schemas (``{"type": "function", "function": {...}}``).
    ``agent`` is who is asking; ``purpose`` says why (a normal reply, picking the next
    speaker of a group among ``candidates``, or a reflection summary). Offline models
    use these to answer sensibly; remote models ignore them.
    """

    messages: tuple[Message, ...]
    tools: tuple[dict[str, Any], ...] = ()
    tool_choice: str | dict[str, Any] | None = None
    agent: str = ""
    purpose: Purpose = "reply"
    candidates: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)  # temperature, max_tokens, ...


@dataclass(frozen=True)
class ModelResponse:
    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    finish_reason: str | None = None


class ModelError(Exception):
    """A model call failed.

    ``kind`` is one of: auth, not_found, bad_url, rate_limit, server, connection,
    timeout, bad_request, unavailable. ``retryable`` says whether trying again may help
    (clients retry those themselves before raising). The message says what to fix.
    """

    def __init__(self, message: str, *, kind: str = "bad_request", retryable: bool = False,
                 status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.status = status


@runtime_checkable
class ModelClient(Protocol):
    """A chat model. ``label`` is what the UI shows (e.g. "Demo model (offline)").

    A model that keeps state between calls (a script's position) may also define
    ``replay(request, response)``: when a conversation is rebuilt from its recording
    (:class:`studio.engine.Recording`) the engine calls it instead of ``complete`` for
    every reply the recording already holds, so the model can move on as if it had
    answered. Stateless models need nothing.
    """

    label: str

    def complete(
        self,
        request: ModelRequest,
        *,
        cancel: CancelToken | None = None,
        on_token: TokenCallback | None = None,
    ) -> ModelResponse:
        """Return the model's reply. With ``on_token`` the reply is streamed: each text
        delta is passed to it as it arrives, and the full response is still returned.
        Must return promptly (raising ``Cancelled``) once ``cancel`` is set."""
        ...

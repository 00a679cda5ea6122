"""Conversable agents: a name, a role, and an ordered list of reply functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from . import events as ev
from ._context import ChatContext
from ._messages import Message
from ._safeguard import CodeGate
from ._tools import Tool
from ._types import ChatResult, ConfigError, HumanInput, StopReason, Termination
from .code._interface import CodeExecutor
from .models._interface import ModelClient

if TYPE_CHECKING:
    from ._chat import NestedChat

ReplyValue = Union[str, Message, Sequence[Message], "Stop", None]
ReplyFunction = Callable[["ConversableAgent", list[Message], "ConversableAgent", ChatContext],
                         tuple[bool, ReplyValue]]

DEFAULT_MAX_AUTO_REPLY = 100


@dataclass(frozen=True)
class Stop:
    """A final "no reply" that says why (used by the built-in reply functions)."""

    reason: StopReason


@dataclass(frozen=True)
class ReplyOutcome:
    messages: tuple[Message, ...] | None
    stop_reason: StopReason | None = None


class ConversableAgent:
    """An agent that answers messages with its reply functions, in order.

    Order: custom functions registered ahead of the built-ins, then termination and
    human input, nested chats, tool calls, code execution, the model, and last the
    default auto-reply.
    """

    def __init__(
        self,
        name: str,
        *,
        description: str = "",
        system_message: str = "",
        model: ModelClient | None = None,
        model_settings: dict[str, Any] | None = None,
        stream: bool = False,
        human_input: HumanInput | str = HumanInput.TERMINATE,
        max_consecutive_auto_reply: int | None = None,
        is_termination: Callable[[Message], bool] | None = None,
        tools: Sequence[Tool | Callable[..., Any]] = (),
        tools_for_execution: Sequence[Tool | Callable[..., Any]] = (),
        code_executor: CodeExecutor | None = None,
        approve_code: bool = False,
        code_gate: CodeGate | None = None,
        default_auto_reply: str = "",
    ) -> None:
        if not name or not name.strip():
            raise ConfigError("an agent needs a name")
        try:
            self.human_input = HumanInput(human_input)
        except ValueError:
            raise ConfigError(
                f"agent {name!r}: human_input must be always, terminate or never, not {human_input!r}"
            ) from None
        if max_consecutive_auto_reply is not None and max_consecutive_auto_reply < 0:
            raise ConfigError(f"agent {name!r}: max_consecutive_auto_reply cannot be negative")
        self.name = name
        self.description = description or system_message[:200]
        self.system_message = system_message
        self.model = model
        self.model_settings = dict(model_settings or {})
        self.stream = stream
        self.max_consecutive_auto_reply = (
            DEFAULT_MAX_AUTO_REPLY if max_consecutive_auto_reply is None else max_consecutive_auto_reply
        )
        self.is_termination: Callable[[Message], bool] = is_termination or Termination()
        self.code_executor = code_executor
        self.approve_code = approve_code
        self.code_gate = code_gate  # when set, only code it clears is run (see ClearedBy)
        self.default_auto_reply = default_auto_reply
        self.tools_for_llm: dict[str, Tool] = {}
        self.tools_for_execution: dict[str, Tool] = {}
        for fn in tools:
            self.register_tool(fn)
        for fn in tools_for_execution:
            self.register_tool(fn, llm=False)
        self._custom_replies: list[ReplyFunction] = []
        self.nested_chats: list[NestedChat] = []
        self._histories: dict[str, list[Message]] = {}
        self._auto_reply_counts: dict[str, int] = {}
        self._executed_code: dict[str, int] = {}  # counterpart -> history length already scanned
        self._system_cache: Message | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    # -- configuration ---------------------------------------------------------------------
    def register_reply(self, fn: ReplyFunction, *, position: int = 0) -> None:
        """Add a reply function ahead of the built-ins (position 0 runs first).

        ``fn(agent, messages, sender, ctx)`` returns ``(final, reply)``; a non-final
        result falls through to the next function; a final ``None`` means no reply.
        """
        self._custom_replies.insert(position, fn)

    def register_tool(self, fn: Tool | Callable[..., Any], *, llm: bool = True,
                      execution: bool = True) -> Tool:
        """Offer a tool to this agent's model (``llm``) and/or execute it here (``execution``)."""
        tool = Tool.from_function(fn)
        if llm:
            self.tools_for_llm[tool.name] = tool
        if execution:
            self.tools_for_execution[tool.name] = tool
        return tool

    def register_nested_chats(self, chats: Sequence[NestedChat]) -> None:
        """Before replying, run these chats (seeded with the received message) and reply with
        the last one's summary."""
        if not chats:
            raise ConfigError(f"agent {self.name!r}: register_nested_chats needs at least one chat")
        self.nested_chats = list(chats)

    def can_execute(self, tool_names: Sequence[str]) -> bool:
        return all(name in self.tools_for_execution for name in tool_names)

    # -- history -----------------------------------------------------------------------------
    def history(self, counterpart: ConversableAgent | str) -> list[Message]:
        key = counterpart if isinstance(counterpart, str) else counterpart.name
        return self._histories.setdefault(key, [])

    @property
    def chat_messages(self) -> dict[str, list[Message]]:
        return self._histories

    def clear_history(self, counterpart: ConversableAgent | None = None) -> None:
        if counterpart is None:
            self._histories.clear()
            self._auto_reply_counts.clear()
            self._executed_code.clear()
        else:
            self._histories.pop(counterpart.name, None)
            self._auto_reply_counts.pop(counterpart.name, None)
            self._executed_code.pop(counterpart.name, None)

    def last_message(self, counterpart: ConversableAgent | str) -> Message | None:
        history = self.history(counterpart)
        return history[-1] if history else None

    def auto_reply_count(self, counterpart: ConversableAgent | str) -> int:
        key = counterpart if isinstance(counterpart, str) else counterpart.name
        return self._auto_reply_counts.get(key, 0)

    def _bump_auto_reply(self, sender: ConversableAgent) -> None:
        self._auto_reply_counts[sender.name] = self._auto_reply_counts.get(sender.name, 0) + 1

    def _reset_auto_reply(self, sender: ConversableAgent) -> None:
        self._auto_reply_counts[sender.name] = 0

    # -- sending -----------------------------------------------------------------------------
    def send(self, messages: Message | Sequence[Message], recipient: ConversableAgent,
             ctx: ChatContext, *, emit: bool = True) -> None:
        """Deliver messages to ``recipient``: each side stores them in its history with it."""
        batch = (messages,) if isinstance(messages, Message) else tuple(messages)
        own = self.history(recipient)
        theirs = recipient.history(self)
        for message in batch:
            if message.content is None and not message.tool_calls and message.role != "tool":
                raise ValueError(
                    f"{self.name} tried to send a message with neither content nor a tool call"
                )
            if message.name is None and message.role != "tool":
                message = Message(role=message.role, content=message.content, name=self.name,
                                  tool_calls=message.tool_calls, meta=message.meta)
            if emit:
                message = ctx.settle(self.name, recipient.name, message)
            own.append(_as_sent(message))
            theirs.append(_as_received(message))
            if emit:
                ctx.emit(ev.MessageSent, sender=self.name, recipient=recipient.name, message=message,
                         usage=message.meta.get("usage"))

    # -- replying ----------------------------------------------------------------------------
    def generate_reply(self, messages: list[Message], sender: ConversableAgent,
                       ctx: ChatContext) -> ReplyOutcome:
        """Answer ``messages`` (this agent's history with ``sender``)."""
        from . import _replies

        pipeline: list[ReplyFunction] = [
            *self._custom_replies,
            _replies.check_termination_and_human,
            *([_replies.nested_chats_reply] if self.nested_chats else []),
            _replies.tool_calls_reply,
            *([_replies.code_execution_reply] if self.code_executor is not None else []),
            *([_replies.model_reply] if self.model is not None else []),
            _replies.default_reply,
        ]
        for fn in pipeline:
            final, reply = fn(self, messages, sender, ctx)
            if not final:
                continue
            if reply is None:
                return ReplyOutcome(None, StopReason.NO_REPLY)
            if isinstance(reply, Stop):
                return ReplyOutcome(None, reply.reason)
            if isinstance(reply, str):
                return ReplyOutcome((Message(role="assistant", content=reply, name=self.name),))
            if isinstance(reply, Message):
                return ReplyOutcome((reply,))
            return ReplyOutcome(tuple(reply))
        return ReplyOutcome(None, StopReason.NO_REPLY)

    # -- starting chats ------------------------------------------------------------------------
    def prepare_first_message(self, message: Message) -> Message:
        """The first message of a chat this agent starts, as it is sent (unchanged here; the
        retrieval proxy puts passages of its documents around the question)."""
        return message

    def initiate_chat(
        self,
        recipient: ConversableAgent,
        message: str | Message | Callable[..., str] | None = None,
        *,
        max_turns: int | None = None,
        clear_history: bool = True,
        summary_method: str | Callable[..., str] = "last_msg",
        summary_prompt: str | None = None,
        control: Any = None,
        context: ChatContext | None = None,
    ) -> ChatResult:
        """Start a chat with ``recipient`` (an agent, or a group chat manager)."""
        from ._chat import start_chat

        return start_chat(
            self, recipient, message, max_turns=max_turns, clear_history=clear_history,
            summary_method=summary_method, summary_prompt=summary_prompt, control=control,
            context=context,
        )


def _as_sent(message: Message) -> Message:
    if message.role in ("tool", "assistant"):
        return message
    return message.with_role("assistant")


def _as_received(message: Message) -> Message:
    if message.role == "tool" or message.tool_calls:
        return message if message.role != "user" else message.with_role("assistant")
    return message if message.role == "user" else message.with_role("user")


DEFAULT_ASSISTANT_SYSTEM_MESSAGE = (
    "You are a helpful AI assistant. Solve tasks using your coding and language skills. "
    "When code would help, write a complete python (or sh) script in a fenced code block for the "
    "user to execute; put `# filename: <name>` on its first line to save it to a file. Use one code "
    "block per response and check the execution result the user returns; if there is an error, fix "
    "it and send the full corrected code. When the task is done and verified, reply with the answer "
    "and end your message with TERMINATE."
)


class AssistantAgent(ConversableAgent):
    """Preset: a model-backed assistant that never asks the human and runs no code."""

    def __init__(self, name: str, *, system_message: str = DEFAULT_ASSISTANT_SYSTEM_MESSAGE,
                 description: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("human_input", HumanInput.NEVER)
        super().__init__(
            name,
            system_message=system_message,
            description=description or "A helpful AI assistant that can write code and solve tasks.",
            **kwargs,
        )


class UserProxyAgent(ConversableAgent):
    """Preset: stands for the human; asks them every turn, runs code, has no model."""

    def __init__(self, name: str = "user_proxy", *, description: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("human_input", HumanInput.ALWAYS)
        super().__init__(
            name,
            description=description or "A human user who can run code and give feedback.",
            **kwargs,
        )

"""Two-agent chats, sequential chats with carryover, and nested chats."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import events as ev
from ._context import ChatContext
from ._control import Cancelled, RunControl
from ._human import HumanInputRequest
from ._messages import Message
from ._replay import ReplayError
from ._types import ChatResult, ConfigError, StopReason, strip_terminate
from .code._interface import CodeExecutionError
from .models._interface import ModelError, ModelRequest

if TYPE_CHECKING:
    from ._agent import ConversableAgent

SUMMARY_PROMPT = ("Summarize the takeaway from the conversation. Do not add any introductory "
                  "phrases.")
FirstMessage = str | Message | Callable[..., str] | None
SUMMARY_METHODS = (None, "last_msg", "reflection")


def start_chat(sender: ConversableAgent, recipient: ConversableAgent, message: FirstMessage, *,
               max_turns: int | None, clear_history: bool, summary_method: Any,
               summary_prompt: str | None, control: RunControl | None,
               context: ChatContext | None, kind: str = "two_agent",
               carryover: str = "") -> ChatResult:
    """Run a chat from ``sender`` to ``recipient`` and return its result.

    Misconfiguration raises at once (before anything runs, or - for a speaker function
    that answers nonsense - after the chat is reported finished). Every other failure
    becomes the stop reason ``error`` with an Error event; a ChatFinished event always
    closes the chat. Nested chats re-raise so that the outer chat stops too.
    """
    from ._groupchat import GroupChatManager

    if max_turns is not None and max_turns < 1:
        raise ConfigError("max_turns must be at least 1")
    if not callable(summary_method) and summary_method not in SUMMARY_METHODS:
        raise ConfigError(
            f"unknown summary_method {summary_method!r}: use last_msg, reflection or a function"
        )
    ctx = context if context is not None else ChatContext.root(control or RunControl())
    manager = recipient if isinstance(recipient, GroupChatManager) else None
    members = manager.groupchat.agent_names if manager is not None else (sender.name, recipient.name)
    ctx.emit(ev.ChatStarted, kind="group" if manager is not None else kind, sender=sender.name,
             recipient=recipient.name, members=tuple(members),
             parent_chat_id=ctx.parent.chat_id if ctx.parent and kind == "nested" else None)
    if clear_history:
        sender.clear_history(recipient)
        recipient.clear_history(sender)
    history: list[Message] = []
    summary = ""
    try:
        first = _first_message(sender, recipient, message, ctx, carryover)
        if first is None:
            reason = StopReason.HUMAN_EXIT
        elif manager is not None:
            reason, history = manager.run_group(sender, first, ctx, clear=clear_history)
        else:
            reason = _alternate(sender, recipient, first, max_turns, ctx)
        if manager is None:
            history = list(sender.history(recipient))
        summary = _summarize(sender, recipient, history, summary_method, summary_prompt, ctx)
    except ReplayError:
        raise  # the recording cannot be replayed: the caller decides what the run becomes
    except Cancelled:
        _finish(ctx, StopReason.CANCELLED, "")
        if ctx.depth > 0:
            raise
        return _result(ctx, StopReason.CANCELLED, "", history or _history(sender, recipient, manager))
    except ConfigError as exc:
        ctx.emit(ev.Error, text=str(exc))
        _finish(ctx, StopReason.ERROR, "")
        raise
    except Exception as exc:  # a model, executor, tool-free bug...: the chat stops, says why
        error = str(exc) if isinstance(exc, (ModelError, CodeExecutionError, _NestedFailure)) \
            else f"{type(exc).__name__}: {exc}"
        if not isinstance(exc, _NestedFailure):
            ctx.emit(ev.Error, text=error)
        _finish(ctx, StopReason.ERROR, "")
        if ctx.depth > 0:
            raise _NestedFailure(error) from exc
        return _result(ctx, StopReason.ERROR, "", history or _history(sender, recipient, manager),
                       error=error)
    _finish(ctx, reason, summary)
    return _result(ctx, reason, summary, history)


def _history(sender: ConversableAgent, recipient: ConversableAgent, manager: Any) -> list[Message]:
    if manager is not None:
        return list(manager.groupchat.messages)
    return list(sender.history(recipient))


class _NestedFailure(Exception):
    """A nested chat failed; the outer chat stops with the same error."""


def _finish(ctx: ChatContext, reason: StopReason, summary: str) -> None:
    ctx.emit(ev.ChatFinished, reason=str(reason), summary=summary, usage=ctx.usage.to_dict())


def _result(ctx: ChatContext, reason: StopReason, summary: str, history: list[Message], *,
            error: str | None = None) -> ChatResult:
    return ChatResult(chat_id=ctx.chat_id, history=history, summary=summary, stop_reason=reason,
                      usage=ctx.usage.to_dict(), human_inputs=list(ctx.human_inputs), error=error)


def _first_message(sender: ConversableAgent, recipient: ConversableAgent, message: FirstMessage,
                   ctx: ChatContext, carryover: str) -> Message | None:
    if callable(message) and not isinstance(message, Message):
        message = message(sender, recipient, carryover)
        carryover = ""
    if message is None:
        text = ctx.ask_human(HumanInputRequest(
            agent=sender.name, kind="reply",
            prompt=f"What should {sender.name} say to {recipient.name} to start? (exit to cancel)",
        ))
        if text.strip().lower() in ("", "exit"):
            return None  # the human chose not to start
        message = Message(role="user", content=text, name=sender.name, meta={"human": True})
    if isinstance(message, str):
        message = Message(role="user", content=message, name=sender.name)
    message = sender.prepare_first_message(message)
    if carryover:
        message = Message(role=message.role, content=f"{message.text}\nContext: \n{carryover}",
                          name=message.name or sender.name, meta=message.meta)
    if message.is_empty():
        raise ConfigError(f"{sender.name}'s first message to {recipient.name} is empty")
    return message


def _alternate(sender: ConversableAgent, recipient: ConversableAgent, first: Message,
               max_turns: int | None, ctx: ChatContext) -> StopReason:
    sender.send(first, recipient, ctx)
    speaker, listener = sender, recipient
    replies = 0
    while True:
        ctx.checkpoint()
        _deliver_interjections(speaker, listener, ctx)
        outcome = listener.generate_reply(listener.history(speaker), speaker, ctx)
        if outcome.messages is None:
            return outcome.stop_reason or StopReason.NO_REPLY
        listener.send(outcome.messages, speaker, ctx)
        if listener is recipient:
            replies += 1
            if max_turns is not None and replies >= max_turns:
                last = outcome.messages[-1]
                return StopReason.TERMINATION if sender.is_termination(last) else StopReason.MAX_TURNS
        speaker, listener = listener, speaker


def _deliver_interjections(speaker: ConversableAgent, listener: ConversableAgent,
                           ctx: ChatContext) -> None:
    """Messages the human sent from outside go to the agent about to reply, before it does
    (after the answers to pending tool calls, which must directly follow them)."""
    pending = listener.history(speaker)
    if pending and pending[-1].tool_calls:
        return
    for text in ctx.take_interjections():
        name = ctx.control.human_name
        message = Message(role="user", content=text, name=name, meta={"interjection": True, "human": True})
        listener.history(speaker).append(message)
        speaker.history(listener).append(message)
        ctx.emit(ev.Interjection, text=text, recipient=listener.name)
        ctx.emit(ev.MessageSent, sender=name, recipient=listener.name, message=message)


def _summarize(sender: ConversableAgent, recipient: ConversableAgent, history: list[Message],
               method: Any, prompt: str | None, ctx: ChatContext) -> str:
    if callable(method):
        return str(method(sender, recipient, history) or "")
    if method in (None, "last_msg"):
        for message in reversed(history):
            if message.content is not None and message.role != "system":
                return strip_terminate(message.content)
        return ""
    if method == "reflection":
        agent = sender if sender.model is not None else recipient
        if agent.model is None:
            ctx.emit(ev.Warning, text="reflection summary needs a model; the summary is empty")
            return ""
        messages = (*_system_of(agent), *history,
                    Message(role="user", content=prompt or SUMMARY_PROMPT))
        request = ModelRequest(messages=tuple(messages), agent=agent.name, purpose="summary")
        if ctx.control.replayer is not None:
            return _replayed_summary(agent, request, ctx)
        try:
            response = ctx.call_model(agent.name, agent.model, request)
        except Cancelled:
            raise
        except Exception as exc:  # any failure (not only a ModelError): empty summary, a warning
            if ctx.control.cancelled:
                raise Cancelled() from exc
            reason = str(exc) if isinstance(exc, ModelError) else f"{type(exc).__name__}: {exc}"
            ctx.emit(ev.Warning, text=f"the reflection summary failed ({reason}); the summary is empty")
            return ""
        ctx.add_usage(agent.name, response.usage)
        return strip_terminate(response.content)
    raise ConfigError(f"unknown summary_method {method!r}: use last_msg, reflection or a function")  # pragma: no cover


def _replayed_summary(agent: ConversableAgent, request: ModelRequest, ctx: ChatContext) -> str:
    """The reflection summary the recording holds (after its warning, if it failed)."""
    from .models._interface import ModelResponse

    finished = ctx.recorded("chat_finished")
    assert finished is not None
    summary = str(finished.get("summary", "") or "")
    hook = getattr(agent.model, "replay", None)
    if callable(hook):  # a model that keeps state is told about the call it made
        hook(request, ModelResponse(content=summary))
    return summary


def _system_of(agent: ConversableAgent) -> tuple[Message, ...]:
    return (Message(role="system", content=agent.system_message),) if agent.system_message else ()


# -- sequential chats --------------------------------------------------------------------------
@dataclass
class ChatSpec:
    """One chat of a sequence: ``carryover`` adds the earlier summaries as ``Context:``."""

    sender: ConversableAgent
    recipient: ConversableAgent
    message: FirstMessage = None
    max_turns: int | None = None
    summary_method: Any = "last_msg"
    summary_prompt: str | None = None
    clear_history: bool = True
    carryover: bool = True
    extra_context: list[str] = field(default_factory=list)


def initiate_chats(chats: Sequence[ChatSpec], *, control: RunControl | None = None,
                   context: ChatContext | None = None) -> list[ChatResult]:
    """Run chats one after another; each first message carries the earlier summaries.

    Stops early when a chat is cancelled or fails.
    """
    if not chats:
        raise ConfigError("initiate_chats needs at least one chat")
    base = context or ChatContext.root(control or RunControl())
    results: list[ChatResult] = []
    summaries: list[str] = []
    for index, spec in enumerate(chats):
        ctx = base if index == 0 and context is None else (base.sibling() if context is None else base.child())
        carry = [*spec.extra_context, *summaries] if spec.carryover else list(spec.extra_context)
        result = start_chat(
            spec.sender, spec.recipient, spec.message, max_turns=spec.max_turns,
            clear_history=spec.clear_history, summary_method=spec.summary_method,
            summary_prompt=spec.summary_prompt, control=None, context=ctx,
            kind="nested" if context is not None else "sequence",
            carryover="\n".join(s for s in carry if s),
        )
        results.append(result)
        summaries.append(result.summary)
        if result.stop_reason in (StopReason.CANCELLED, StopReason.ERROR):
            break
    return results


# -- nested chats -------------------------------------------------------------------------------
@dataclass
class NestedChat:
    """A chat an agent runs before replying. ``message``: None (the received message), a
    string, or ``fn(agent, messages, sender) -> str``."""

    recipient: ConversableAgent
    message: str | Callable[..., str] | None = None
    max_turns: int | None = 1
    summary_method: Any = "last_msg"
    summary_prompt: str | None = None
    sender: ConversableAgent | None = None  # default: the agent holding the queue


def run_nested_chats(agent: ConversableAgent, messages: list[Message], sender: ConversableAgent,
                     ctx: ChatContext) -> str | None:
    received = messages[-1].content or ""
    specs = []
    for chat in agent.nested_chats:
        if chat.message is None:
            text: str = received
        elif callable(chat.message):
            text = chat.message(agent, messages, sender)
        else:
            text = f"{chat.message}\n\n{received}" if "{message}" not in chat.message \
                else chat.message.replace("{message}", received)
        specs.append(ChatSpec(sender=chat.sender or agent, recipient=chat.recipient, message=text,
                              max_turns=chat.max_turns, summary_method=chat.summary_method,
                              summary_prompt=chat.summary_prompt))
    results = initiate_chats(specs, context=ctx)
    last = results[-1]
    if last.stop_reason == StopReason.CANCELLED:
        raise Cancelled()
    return last.summary

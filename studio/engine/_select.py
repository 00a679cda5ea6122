"""Choosing the next speaker of a group chat."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import events as ev
from ._agent import ConversableAgent
from ._human import HumanInputRequest
from ._messages import Message
from ._types import ConfigError
from ._usage import Usage
from .models._interface import ModelRequest

if TYPE_CHECKING:
    from ._context import ChatContext
    from ._groupchat import GroupChat, GroupChatManager

SELECT_SYSTEM = (
    "You are in a role play game. The following roles are available:\n{roles}\n\n"
    "Read the following conversation. Then select the next role from {names} to play. "
    "Only return the role."
)
SELECT_PROMPT = ("Read the above conversation. Then select the next role from {names} to play. "
                 "Only return the role.")
TOO_MANY = ("You named more than one role ({named}). Reply with exactly one name from {names} "
            "and nothing else.")
NONE_NAMED = "You did not name a valid role. Reply with exactly one name from {names} and nothing else."


class HumanEndedChat(Exception):
    """The human answered ``exit`` when asked who speaks next."""


def select_speaker(manager: GroupChatManager, last: ConversableAgent, last_message: Message,
                   ctx: ChatContext, round_no: int) -> ConversableAgent | None:
    from ._groupchat import speaker_function_result

    chat = manager.groupchat
    method = chat.speaker_selection
    if callable(method):
        result = speaker_function_result(method(last, chat), chat)
        if result is None:
            return None
        if isinstance(result, ConversableAgent):
            return _chosen(result, "function", ctx, round_no)
        method = result
    eligible = chat.eligible(last, last_message)
    if not eligible:
        return None
    if len(eligible) == 1:
        return _chosen(eligible[0], "only eligible", ctx, round_no)
    if method == "round_robin":
        chosen = chat.next_agent(last, eligible)
    elif method == "random":
        chosen = chat._rng.choice(eligible)
        if ctx.control.replayer is not None:  # the draw above keeps the generator in step
            chosen = _recorded_choice(manager, eligible, ctx)
    elif method == "manual":
        manual = _manual(manager, last, eligible, ctx)
        if manual is None:
            raise HumanEndedChat()
        chosen = manual
    else:
        if manager.model is None:
            raise ConfigError(f"{manager.name} was asked to pick the next speaker automatically but "
                              "has no model: give the group chat manager a model")
        if ctx.control.replayer is not None:
            chosen = _recorded_choice(manager, eligible, ctx)
            return _chosen(chosen, str(method), ctx, round_no,
                           usage=_recorded_selection_usage(manager, ctx))
        chosen, usage = _auto(manager, last, eligible, ctx)
        return _chosen(chosen, str(method), ctx, round_no, usage=usage.to_dict())
    return _chosen(chosen, str(method), ctx, round_no)


def _chosen(agent: ConversableAgent, method: str, ctx: ChatContext, round_no: int,
            usage: dict | None = None) -> ConversableAgent:
    ctx.emit(ev.SpeakerSelected, speaker=agent.name, method=method, round=round_no, usage=usage)
    return agent


def _recorded_choice(manager: GroupChatManager, eligible: list[ConversableAgent],
                     ctx: ChatContext) -> ConversableAgent:
    """The speaker the recording holds (after re-emitting its warnings)."""
    recorded = ctx.recorded("speaker_selected")
    assert recorded is not None and ctx.control.replayer is not None
    chosen = next((a for a in eligible if a.name == recorded.get("speaker")), None)
    if chosen is None:
        ctx.control.replayer.expect("speaker_selected",
                                    speaker=f"one of {[a.name for a in eligible]}")
    assert chosen is not None
    return chosen


def _recorded_selection_usage(manager: GroupChatManager, ctx: ChatContext) -> dict | None:
    from ._replay import recorded_usage

    replayer = ctx.control.replayer
    recorded = replayer.peek() if replayer is not None else None
    data = recorded.get("usage") if recorded is not None else None
    usage = recorded_usage(data)
    if usage is not None:
        ctx.add_usage(manager.name, usage)
    return data


def mentioned(text: str, candidates: list[ConversableAgent]) -> list[ConversableAgent]:
    """The candidates named in ``text`` (word boundaries; ``_`` may be written as a space)."""
    found = []
    for agent in candidates:
        variants = {agent.name, agent.name.replace("_", " ")}
        pattern = "|".join(rf"(?<![\w]){re.escape(v)}(?![\w])" for v in variants)
        if re.search(pattern, text):
            found.append(agent)
    return found


def _auto(manager: GroupChatManager, last: ConversableAgent, eligible: list[ConversableAgent],
          ctx: ChatContext) -> tuple[ConversableAgent, Usage]:
    chat: GroupChat = manager.groupchat
    assert manager.model is not None
    names = [a.name for a in eligible]
    roles = "\n".join(f"{a.name}: {a.description}".rstrip() for a in chat.agents if a in eligible)
    system = (chat.select_speaker_prompt or SELECT_SYSTEM).format(roles=roles, names=names)
    messages: list[Message] = [Message(role="system", content=system)]
    # meta goes along (never sent to a model): it says whose words a message holds
    messages.extend(
        Message(role="user", name=m.name, content=m.content or _describe_calls(m),
                meta=dict(m.meta))
        for m in chat.messages if m.role != "tool"
    )
    messages.append(Message(role="user", content=SELECT_PROMPT.format(names=names)))
    used = Usage(model="")
    for _attempt in range(1 + chat.max_retries_for_selecting):
        ctx.checkpoint()
        response = ctx.call_model(manager.name, manager.model, ModelRequest(
            messages=tuple(messages), agent=manager.name, purpose="select_speaker",
            candidates=tuple(names)))
        ctx.add_usage(manager.name, response.usage)
        used = Usage(used.prompt_tokens + response.usage.prompt_tokens,
                     used.completion_tokens + response.usage.completion_tokens,
                     used.cost + response.usage.cost, response.usage.model or used.model)
        named = mentioned(response.content or "", eligible)
        if len(named) == 1:
            return named[0], used
        messages.append(Message(role="assistant", content=response.content or ""))
        correction = TOO_MANY.format(named=", ".join(a.name for a in named), names=names) \
            if named else NONE_NAMED.format(names=names)
        messages.append(Message(role="user", content=correction))
    fallback = chat.next_agent(last, eligible)
    ctx.emit(ev.Warning, text=f"speaker selection gave no single valid name; {fallback.name} speaks next")
    return fallback, used


def _describe_calls(message: Message) -> str:
    return "; ".join(f"calls {c.name}({c.arguments})" for c in message.tool_calls)


def _manual(manager: GroupChatManager, last: ConversableAgent, eligible: list[ConversableAgent],
            ctx: ChatContext) -> ConversableAgent | None:
    names = tuple(a.name for a in eligible)
    for _attempt in range(3):
        answer = ctx.ask_human(HumanInputRequest(
            agent=manager.name, kind="speaker", options=names,
            prompt=f"Who speaks next? Choose one of: {', '.join(names)} (empty = next in order, exit = end).",
        )).strip()
        if answer.lower() == "exit":
            return None
        if not answer:
            return manager.groupchat.next_agent(last, eligible)
        if answer.isdigit() and 1 <= int(answer) <= len(eligible):
            return eligible[int(answer) - 1]
        named = [a for a in eligible if a.name == answer] or mentioned(answer, eligible)
        if len(named) == 1:
            return named[0]
    return manager.groupchat.next_agent(last, eligible)

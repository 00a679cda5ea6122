"""Group chats: a manager runs rounds over a shared log and picks who speaks next."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import events as ev
from ._agent import ConversableAgent
from ._messages import Message
from ._types import ConfigError, HumanInput, StopReason
from .models._interface import ModelClient

if TYPE_CHECKING:
    from ._context import ChatContext

SELECTION_METHODS = ("auto", "round_robin", "random", "manual")
SpeakerFunction = Callable[[ConversableAgent, "GroupChat"], "ConversableAgent | str | None"]


class GroupChat:
    """The members, the shared log and the rules for who may speak next."""

    def __init__(
        self,
        agents: Sequence[ConversableAgent],
        *,
        max_round: int = 10,
        speaker_selection: str | SpeakerFunction = "auto",
        allowed_transitions: Mapping[ConversableAgent, Sequence[ConversableAgent]] | None = None,
        transitions_type: str | None = None,
        allow_repeat_speaker: bool | None = None,
        send_introductions: bool = False,
        max_retries_for_selecting: int = 2,
        select_speaker_prompt: str | None = None,
        seed: int | None = None,
    ) -> None:
        if len(agents) < 2:
            raise ConfigError(f"a group chat needs at least 2 members, got {len(agents)}")
        names = [a.name for a in agents]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(f"group members must have distinct names: {', '.join(duplicates)}")
        if max_round < 1:
            raise ConfigError("max_round must be at least 1")
        if not callable(speaker_selection) and speaker_selection not in SELECTION_METHODS:
            raise ConfigError(
                f"unknown speaker_selection {speaker_selection!r}: use one of "
                f"{', '.join(SELECTION_METHODS)} or a function"
            )
        if allowed_transitions is not None:
            if allow_repeat_speaker is not None:
                raise ConfigError(
                    "give either allow_repeat_speaker or a transitions graph, not both: "
                    "the graph already says whether a speaker may follow itself"
                )
            if transitions_type not in ("allowed", "disallowed"):
                raise ConfigError(
                    "a transitions graph needs transitions_type 'allowed' or 'disallowed'"
                )
            for source, targets in allowed_transitions.items():
                for agent in (source, *targets):
                    if agent not in agents:
                        raise ConfigError(
                            f"the transitions graph names {getattr(agent, 'name', agent)!r}, "
                            "who is not a member of the group"
                        )
        elif transitions_type is not None:
            raise ConfigError("transitions_type was given without a transitions graph")
        self.agents = list(agents)
        self.max_round = max_round
        self.speaker_selection = speaker_selection
        self.allow_repeat_speaker = True if allow_repeat_speaker is None else allow_repeat_speaker
        self.send_introductions = send_introductions
        self.max_retries_for_selecting = max_retries_for_selecting
        self.select_speaker_prompt = select_speaker_prompt
        self.messages: list[Message] = []
        self._rng = random.Random(seed)
        self._graph = _build_graph(self.agents, allowed_transitions, transitions_type)

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]

    def agent_by_name(self, name: str) -> ConversableAgent | None:
        return next((a for a in self.agents if a.name == name), None)

    def next_agent(self, agent: ConversableAgent | None,
                   among: Sequence[ConversableAgent] | None = None) -> ConversableAgent:
        """The member after ``agent`` in member order, restricted to ``among``."""
        pool = list(among) if among else self.agents
        if agent not in self.agents:
            return pool[0]
        start = self.agents.index(agent)
        for step in range(1, len(self.agents) + 1):
            candidate = self.agents[(start + step) % len(self.agents)]
            if candidate in pool:
                return candidate
        return pool[0]

    def eligible(self, last: ConversableAgent | None, last_message: Message | None
                 ) -> list[ConversableAgent]:
        if self._graph is not None and last in self._graph:
            pool = list(self._graph[last])
        else:
            pool = list(self.agents)
            if not self.allow_repeat_speaker and last in pool and len(pool) > 1:
                pool.remove(last)
        if last_message is not None and last_message.tool_calls:
            names = [c.name for c in last_message.tool_calls]
            executors = [a for a in pool if a.can_execute(names)] or [
                a for a in self.agents if a.can_execute(names)]
            # Nobody can run them: whoever speaks answers each call with "not found", so the
            # model hears about it instead of the chat ending without a word.
            pool = executors or pool
        return pool

    def introductions(self) -> str:
        roles = "\n".join(f"{a.name}: {a.description}".rstrip() for a in self.agents)
        return f"Hello everyone. We have assembled a great team today to answer questions and solve tasks. In attendance are:\n\n{roles}"


def _build_graph(agents: list[ConversableAgent],
                 transitions: Mapping[ConversableAgent, Sequence[ConversableAgent]] | None,
                 kind: str | None) -> dict[ConversableAgent, list[ConversableAgent]] | None:
    if transitions is None:
        return None
    graph = {a: list(transitions.get(a, ())) for a in agents}
    if kind == "disallowed":
        graph = {a: [b for b in agents if b not in graph[a]] for a in agents}
    return graph


class GroupChatManager(ConversableAgent):
    """Runs a group chat when a member (or anyone) starts a chat with it."""

    def __init__(self, groupchat: GroupChat, *, name: str = "chat_manager",
                 model: ModelClient | None = None, description: str = "",
                 is_termination: Callable[[Message], bool] | None = None,
                 max_messages: int | None = None) -> None:
        if groupchat.speaker_selection == "auto" and model is None:
            raise ConfigError(
                "auto speaker selection needs a model on the group chat manager "
                "(or pick round_robin, random, manual or a function)"
            )
        super().__init__(name, description=description or "Coordinates the group chat.",
                         model=model, human_input=HumanInput.NEVER, is_termination=is_termination)
        self.groupchat = groupchat
        self.max_messages = max_messages

    def run_group(self, starter: ConversableAgent, first: Message, ctx: ChatContext, *,
                  clear: bool = True) -> tuple[StopReason, list[Message]]:
        from ._select import HumanEndedChat, select_speaker

        chat = self.groupchat
        if clear:
            chat.messages = []
            for agent in chat.agents:
                agent.clear_history(self)
        if chat.send_introductions and clear:
            intro = Message(role="user", content=chat.introductions(), name=self.name,
                            meta={"kind": "introduction"})
            for agent in chat.agents:
                agent.history(self).append(intro)
        speaker: ConversableAgent = starter
        first = ctx.settle(starter.name, self.name, first)
        batch: tuple[Message, ...] = (first,)
        ctx.emit(ev.MessageSent, sender=starter.name, recipient=self.name, message=first)
        for round_no in range(1, chat.max_round + 1):
            self._record(speaker, batch)
            last = batch[-1]
            if self.is_termination(last):
                return StopReason.TERMINATION, chat.messages
            if self.max_messages is not None and len(chat.messages) >= self.max_messages:
                return StopReason.MAX_MESSAGES, chat.messages
            if round_no == chat.max_round:
                return StopReason.MAX_ROUNDS, chat.messages
            ctx.checkpoint()
            if not last.tool_calls:  # the calls are answered first; the human speaks after
                last = self._deliver_interjections(ctx) or last
            try:
                chosen = select_speaker(self, speaker, last, ctx, round_no + 1)
            except HumanEndedChat:
                return StopReason.HUMAN_EXIT, chat.messages
            if chosen is None:
                return StopReason.NO_NEXT_SPEAKER, chat.messages
            speaker = chosen
            outcome = speaker.generate_reply(speaker.history(self), self, ctx)
            if outcome.messages is None:
                return outcome.stop_reason or StopReason.NO_REPLY, chat.messages
            sent = []
            for reply in outcome.messages:
                message = ctx.settle(speaker.name, self.name, _named(reply, speaker))
                ctx.emit(ev.MessageSent, sender=speaker.name, recipient=self.name, message=message,
                         usage=message.meta.get("usage"))
                sent.append(message)
            batch = tuple(sent)
        return StopReason.MAX_ROUNDS, chat.messages

    def _record(self, speaker: ConversableAgent, batch: tuple[Message, ...]) -> None:
        """Append to the shared log and broadcast to every member but the speaker."""
        from ._agent import _as_received, _as_sent

        chat = self.groupchat
        for message in batch:
            chat.messages.append(message)
            received = _as_received(message)
            for agent in chat.agents:
                if agent is speaker:
                    agent.history(self).append(_as_sent(message))
                else:
                    agent.history(self).append(received)

    def _deliver_interjections(self, ctx: ChatContext) -> Message | None:
        last = None
        for text in ctx.take_interjections():
            name = ctx.control.human_name
            message = Message(role="user", content=text, name=name,
                              meta={"interjection": True, "human": True})
            ctx.emit(ev.Interjection, text=text, recipient=self.name)
            ctx.emit(ev.MessageSent, sender=name, recipient=self.name, message=message)
            self.groupchat.messages.append(message)
            for agent in self.groupchat.agents:
                agent.history(self).append(message)
            last = message
        return last


def _named(message: Message, speaker: ConversableAgent) -> Message:
    if message.name is None and message.role != "tool":
        return Message(role=message.role, content=message.content, name=speaker.name,
                       tool_calls=message.tool_calls, meta=message.meta)
    return message


def speaker_function_result(result: Any, chat: GroupChat) -> ConversableAgent | str | None:
    if result is None or isinstance(result, ConversableAgent) and result in chat.agents:
        return result
    if isinstance(result, str) and result in SELECTION_METHODS:
        return result
    raise ConfigError(
        f"the speaker selection function returned {result!r}: return a member of the group, "
        f"one of {', '.join(SELECTION_METHODS)}, or None to end the chat"
    )

"""The per-chat context threaded through replies: events, usage, human inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import events as ev
from ._control import RunControl
from ._human import CodeDecision, HumanInputRequest, check_answer
from ._usage import Usage, UsageTracker


@dataclass
class ChatContext:
    control: RunControl
    chat_id: str
    depth: int = 0
    parent: ChatContext | None = None
    usage: UsageTracker = field(default_factory=UsageTracker)
    human_inputs: list[str] = field(default_factory=list)

    @classmethod
    def root(cls, control: RunControl) -> ChatContext:
        return cls(control=control, chat_id=control.new_chat_id())

    def child(self) -> ChatContext:
        return ChatContext(control=self.control, chat_id=self.control.new_chat_id(),
                           depth=self.depth + 1, parent=self)

    def sibling(self) -> ChatContext:
        """A new chat at the same depth (the next chat of a sequence)."""
        return ChatContext(control=self.control, chat_id=self.control.new_chat_id(),
                           depth=self.depth, parent=self.parent)

    def emit(self, event_type: type[ev.Event], **fields: Any) -> None:
        self.control.emit(event_type(chat_id=self.chat_id, depth=self.depth, **fields))

    def add_usage(self, agent: str, usage: Usage) -> None:
        ctx: ChatContext | None = self
        while ctx is not None:
            ctx.usage.add(agent, usage)
            ctx = ctx.parent
        self.control.usage.add(agent, usage)

    def checkpoint(self) -> None:
        self.control.checkpoint(self.chat_id, self.depth)

    def ask_human(self, request: HumanInputRequest) -> str:
        """Ask the human for text (a reply, a speaker), with the request/answer events around it."""
        answer = check_answer(request, self._ask(request))
        assert isinstance(answer, str)
        self.emit(ev.HumanInputReceived, agent=request.agent, text=answer, kind=request.kind)
        self._record(answer)
        return answer

    def ask_code_decision(self, request: HumanInputRequest) -> CodeDecision:
        """Ask the human to approve, refuse or edit the code of ``request`` (kind code_approval)."""
        decision = check_answer(request, self._ask(request))
        assert isinstance(decision, CodeDecision)
        self.emit(ev.HumanInputReceived, agent=request.agent, text=decision.describe(),
                  kind=request.kind, decision=decision.to_dict())
        self._record(decision.describe())
        return decision

    def _ask(self, request: HumanInputRequest) -> object:
        self.emit(ev.HumanInputRequested, agent=request.agent, prompt=request.prompt,
                  kind=request.kind, options=request.options, blocks=request.blocks)
        answer = self.control.human.ask(request, self.control.cancel_token)
        self.control.cancel_token.raise_if_set()
        return answer

    def _record(self, text: str) -> None:
        ctx: ChatContext | None = self
        while ctx is not None:
            ctx.human_inputs.append(text)
            ctx = ctx.parent

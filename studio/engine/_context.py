"""The per-chat context threaded through replies: events, usage, human inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import events as ev
from ._control import RunControl
from ._human import CODE_APPROVAL, CodeDecision, HumanInputRequest, check_answer
from ._messages import Message
from ._replay import recorded_message
from ._usage import Usage, UsageTracker
from .models._interface import ModelClient, ModelRequest, ModelResponse, TokenCallback


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

    def call_model(self, agent: str, model: ModelClient, request: ModelRequest,
                   on_token: TokenCallback | None = None) -> ModelResponse:
        """Ask ``model`` on behalf of ``agent``, announcing the call (a live view shows the
        wait) and letting a cancel interrupt it."""
        self.emit(ev.ModelCallStarted, agent=agent, model=str(getattr(model, "label", "") or ""),
                  purpose=request.purpose)
        return model.complete(request, cancel=self.control.cancel_token, on_token=on_token)

    def add_usage(self, agent: str, usage: Usage) -> None:
        ctx: ChatContext | None = self
        while ctx is not None:
            ctx.usage.add(agent, usage)
            ctx = ctx.parent
        self.control.usage.add(agent, usage)

    def checkpoint(self) -> None:
        self.control.checkpoint(self.chat_id, self.depth)

    def recorded(self, kind: str) -> dict[str, Any] | None:
        """While replaying: the recorded ``kind`` event ahead, after re-emitting the warnings
        recorded before it (anything else there raises ReplayMismatch). None when live."""
        replayer = self.control.replayer
        if replayer is None:
            return None
        found = replayer.ahead(kind)
        if found is None:
            replayer.expect(kind)  # raises, saying what the recording holds instead
        while (warning := replayer.peek()) is not None and warning["type"] == "warning":
            self.emit(ev.Warning, text=str(warning.get("text", "")))
        return found

    def take_interjections(self) -> list[str]:
        """The human's messages to deliver now (while replaying: the recorded ones)."""
        replayer = self.control.replayer
        if replayer is not None:
            return replayer.interjections()
        return self.control.take_interjections()

    def settle(self, sender: str, recipient: str, message: Message) -> Message:
        """The message as it is about to be sent; while replaying, the recorded one (the
        recording is the truth about what was said)."""
        replayer = self.control.replayer
        if replayer is None:
            return message
        recorded = replayer.expect("message", sender=sender, recipient=recipient)
        assert recorded is not None
        return recorded_message(recorded)

    def ask_human(self, request: HumanInputRequest) -> str:
        """Ask the human for text (a reply, a speaker), with the request/answer events around
        it. While replaying, the recorded answer is used."""
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
        replayer = self.control.replayer
        recorded = (replayer.expect("human_input_received", agent=request.agent, kind=request.kind)
                    if replayer is not None else None)
        if recorded is not None:
            answer: object = _recorded_answer(request, recorded)
        else:
            answer = self.control.human.ask(request, self.control.cancel_token)
        self.control.cancel_token.raise_if_set()
        return answer

    def _record(self, text: str) -> None:
        ctx: ChatContext | None = self
        while ctx is not None:
            ctx.human_inputs.append(text)
            ctx = ctx.parent


def _recorded_answer(request: HumanInputRequest, recorded: dict[str, Any]) -> object:
    """The answer a recording holds: text, or for a code approval the decision (a run recorded
    before decisions were structured holds the text that was then read as one)."""
    if request.kind != CODE_APPROVAL:
        return recorded.get("text", "")
    if recorded.get("decision"):
        return CodeDecision.from_dict(recorded["decision"])
    text = str(recorded.get("text") or "").strip()
    if text.lower() in ("", "y", "yes", "approve", "ok", "run"):
        return CodeDecision.approve()
    if text.lower().startswith("edit:") and text[5:].strip():
        return CodeDecision.edit(text[5:].strip("\n"))
    return CodeDecision.refuse(text)

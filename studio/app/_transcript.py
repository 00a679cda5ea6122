"""The transcript as the studio shows it, folded from run events (no Streamlit here).

:class:`Transcript` is fed event dicts in ``seq`` order (live ones from
``handle.events_since`` or persisted ones from ``manager.transcript``) and keeps a list
of :class:`Item` to render: messages with their tool-call and code cards attached,
nested chats folded under the message that follows them, notes (human answers,
warnings, errors) and the end of the run. Feeding is incremental and cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Event kinds shown as small notes between messages.
_NOTE_KINDS = {"human_input_received", "warning", "error", "paused", "resumed", "notice",
               "lineage"}


@dataclass
class Card:
    """A folded card: a tool call with its result, or a piece of code that ran."""

    kind: str  # "tool" | "code"
    agent: str
    seq: int
    name: str = ""
    call_id: str = ""
    arguments: str = ""
    result: str | None = None
    is_error: bool = False
    languages: tuple[str, ...] = ()
    exit_code: int = 0
    output: str = ""
    sandbox: str = ""
    files: tuple[dict[str, Any], ...] = ()
    duration: float = 0.0


@dataclass
class Item:
    """One thing in the transcript, in order."""

    kind: str  # "message" | "note" | "chat_started" | "chat_finished" | "run_finished" | "nested"
    seq: int
    depth: int = 0
    sender: str = ""
    recipient: str = ""
    content: str = ""
    role: str = ""
    note_kind: str = ""  # for notes: the event type
    human: bool = False
    auto: bool = False  # the agent's default auto-reply (for a user proxy: not the person's words)
    origin: str = ""  # "followup": the person's words after the run ended; "edited": at a fork
    cards: list[Card] = field(default_factory=list)
    children: list[Item] = field(default_factory=list)  # nested chat items folded under this
    reason: str = ""
    summary: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    chat_kind: str = ""
    members: tuple[str, ...] = ()
    passages: list[dict[str, Any]] | None = None  # a retrieval proxy's message: what it sent
    check: dict[str, Any] | None = None  # an answer key's verdict on a \boxed{} answer


def normalise(event: dict[str, Any]) -> dict[str, Any]:
    """An event dict in the engine's shape, whether it came live or from the store.

    Store rows look like ``{"seq", "kind", "data": {...event...}, ...}``; live events are
    the engine's ``Event.to_dict()`` plus ``"seq"``.
    """
    if "type" in event:
        return event
    data = dict(event.get("data") or {})
    data.setdefault("type", event.get("kind", ""))
    data.setdefault("seq", event.get("seq", 0))
    data.setdefault("depth", event.get("depth", 0))
    data.setdefault("chat_id", event.get("chat_id", ""))
    if "message" not in data and event.get("content") is not None:
        data["message"] = {"role": event.get("role") or "user", "content": event.get("content")}
    data.setdefault("sender", event.get("sender", ""))
    data.setdefault("recipient", event.get("recipient", ""))
    return data


class Transcript:
    """Folds events into render-ready items; keeps what is still streaming."""

    def __init__(self) -> None:
        self.items: list[Item] = []
        self.last_seq = 0
        self.streaming: dict[str, str] = {}  # agent -> text received so far
        self.streaming_depth: dict[str, int] = {}
        self.speaker = ""  # who spoke last or is speaking now
        self.stepped_in = 0  # messages the person sent from outside the team (interjections)
        self.stepped_in_last = False  # the newest turn is the person's interjection
        self.undelivered: list[str] = []  # what the person sent that the run ended before
        self.messages = 0
        self.rounds = 0
        self.tokens = 0
        self.cost = 0.0
        self.edge_counts: dict[tuple[str, str], int] = {}
        self.finished: Item | None = None
        self.engine_paused = False  # the engine has stopped at a pause (not just been asked to)
        self.timeline: list[dict[str, Any]] = []  # one entry per message: who, tokens, cost
        self.group_managers: set[str] = set()
        self._pending: dict[int, list[Item]] = {}  # depth -> nested items awaiting a parent
        self._open_cards: dict[str, list[Card]] = {}  # agent -> cards awaiting their message
        self._tool_cards: dict[str, Card] = {}  # call id -> card
        self._last_group_speaker: dict[str, str] = {}  # chat id -> last speaker
        self._chats: dict[str, tuple[str, str]] = {}  # chat id -> (starter, recipient)
        self._streaming_chat: dict[str, str] = {}  # agent -> chat id of what it is writing

    # -- feeding -----------------------------------------------------------------------------
    def feed(self, events: list[dict[str, Any]]) -> bool:
        """Add events (any not seen yet); return True when something changed."""
        changed = False
        for raw in events:
            event = normalise(raw)
            seq = int(event.get("seq", 0) or 0)
            if seq and seq <= self.last_seq:
                continue
            self.last_seq = max(self.last_seq, seq)
            self._apply(event, seq)
            changed = True
        return changed

    def _apply(self, event: dict[str, Any], seq: int) -> None:
        kind = event.get("type", "")
        depth = int(event.get("depth", 0) or 0)
        if kind == "token":
            agent = event.get("agent", "")
            self.streaming[agent] = self.streaming.get(agent, "") + event.get("delta", "")
            self.streaming_depth[agent] = depth
            self._streaming_chat[agent] = event.get("chat_id", "")
            self._set_speaker(agent)
        elif kind == "message":
            self._message(event, seq, depth)
        elif kind == "speaker_selected":
            self._set_speaker(event.get("speaker", ""))
            self.rounds = max(self.rounds, int(event.get("round", 0) or 0))
        elif kind == "tool_call":
            self._tool_call(event, seq)
        elif kind == "tool_result":
            self._tool_result(event, seq)
        elif kind == "code_executed":
            self._code(event, seq)
        elif kind == "chat_started":
            self._chat_started(event, seq, depth)
        elif kind == "chat_finished":
            if depth > 0:
                self._add(Item("chat_finished", seq, depth, reason=event.get("reason", ""),
                               summary=event.get("summary", "")))
        elif kind == "run_finished":
            self._count_cut_off()
            self._flush_pending()
            self.finished = Item("run_finished", seq, 0, reason=event.get("reason", ""),
                                 summary=event.get("summary", ""), usage=event.get("usage") or {},
                                 note_kind=str(event.get("status") or ""))
            self._usage_totals(self.finished.usage)
        elif kind in _NOTE_KINDS:
            if kind in ("paused", "resumed"):
                self.engine_paused = kind == "paused"
            text = event.get("text", "")
            if kind == "human_input_received":
                text = _human_answer_note(event)
            elif kind == "lineage":
                text = _lineage_note(event)
            elif kind == "notice" and event.get("kind") == "undelivered":
                kind = "undelivered"
                self.undelivered.append(str(event.get("undelivered") or ""))
            self._add(Item("note", seq, depth, sender=event.get("agent", ""), content=text,
                           note_kind=kind))

    def _message(self, event: dict[str, Any], seq: int, depth: int) -> None:
        message = event.get("message") or {}
        sender = event.get("sender", "") or message.get("name", "")
        recipient = event.get("recipient", "")
        self.streaming.pop(sender, None)
        self.streaming_depth.pop(sender, None)
        self._streaming_chat.pop(sender, None)
        meta = message.get("meta") or {}
        item = Item("message", seq, depth, sender=sender, recipient=recipient,
                    content=message.get("content") or "", role=message.get("role", ""),
                    human=bool(meta.get("human") or meta.get("interjection")),
                    auto=bool(meta.get("auto_reply")),
                    origin="followup" if meta.get("followup") else
                    "edited" if meta.get("edited") else "")
        if meta.get("kind") == "retrieved_context":
            item.passages = list(meta.get("chunks") or [])
        elif meta.get("kind") == "answer_check":
            item.check = {k: meta.get(k) for k in ("correct", "answer", "expected")}
        for call in message.get("tool_calls") or ():
            card = self._tool_cards.get(call.get("id", ""))
            if card is None:
                card = Card("tool", sender, seq, name=call.get("name", ""), call_id=call.get("id", ""),
                            arguments=call.get("arguments", ""))
                self._tool_cards[card.call_id] = card
            item.cards.append(card)
        if message.get("role") == "tool" and message.get("tool_call_id") in self._tool_cards:
            return  # the result is already shown on its call's card
        item.cards.extend(self._open_cards.pop(sender, []))
        if meta.get("kind") == "code_result" and any(c.kind == "code" for c in item.cards):
            item.content = ""  # the code card shows the output
        usage = event.get("usage") or {}
        tokens = int(usage.get("prompt_tokens", 0) or 0) + int(usage.get("completion_tokens", 0) or 0)
        cost = float(usage.get("cost", 0.0) or 0.0)
        self.tokens += tokens
        self.cost += cost
        self.messages += 1
        self.timeline.append({"message": self.messages, "agent": sender, "tokens": tokens,
                              "cost": cost, "time": float(event.get("time") or 0.0),
                              "words": len((message.get("content") or "").split())})
        if meta.get("interjection"):
            # The person stepped in from outside the team (sent as "human", a name an agent
            # may have too): a turn of its own, not a step between two agents' turns, so
            # the agent who speaks next is still counted after the one who spoke before.
            self.stepped_in += 1
            self.speaker, self.stepped_in_last = sender, True
        else:
            self._set_speaker(sender)
            self._count_edge(event.get("chat_id", ""), sender, recipient)
        self._add(item)

    def _set_speaker(self, name: str) -> None:
        self.speaker, self.stepped_in_last = name, False

    def _count_edge(self, chat_id: str, sender: str, recipient: str) -> None:
        if recipient in self.group_managers:
            previous = self._last_group_speaker.get(chat_id)
            self._last_group_speaker[chat_id] = sender
            if previous and previous != sender:
                key = (previous, sender)
                self.edge_counts[key] = self.edge_counts.get(key, 0) + 1
            return
        if sender and recipient:
            self.edge_counts[(sender, recipient)] = self.edge_counts.get((sender, recipient), 0) + 1

    def _count_cut_off(self) -> None:
        """The run ended while agents were writing: the transcript shows what they wrote
        (cut off), so their turns count too, in the chats they were writing in."""
        for agent, text in self.streaming.items():
            chat_id = self._streaming_chat.get(agent, "")
            if not text.strip() or agent in self.group_managers or chat_id not in self._chats:
                continue
            starter, recipient = self._chats[chat_id]
            if recipient in self.group_managers:
                self._count_edge(chat_id, agent, recipient)
            elif agent in (starter, recipient):
                self._count_edge(chat_id, agent, recipient if agent == starter else starter)

    def _tool_call(self, event: dict[str, Any], seq: int) -> None:
        call_id = event.get("call_id", "")
        if call_id in self._tool_cards:
            return
        card = Card("tool", event.get("agent", ""), seq, name=event.get("name", ""), call_id=call_id,
                    arguments=event.get("arguments", ""))
        self._tool_cards[call_id] = card
        self._open_cards.setdefault(card.agent, []).append(card)

    def _tool_result(self, event: dict[str, Any], seq: int) -> None:
        card = self._tool_cards.get(event.get("call_id", ""))
        if card is None:
            card = Card("tool", event.get("agent", ""), seq, name=event.get("name", ""),
                        call_id=event.get("call_id", ""))
            self._tool_cards[card.call_id] = card
            self._open_cards.setdefault(card.agent, []).append(card)
        card.result = event.get("content", "")
        card.is_error = bool(event.get("is_error"))

    def _code(self, event: dict[str, Any], seq: int) -> None:
        card = Card("code", event.get("agent", ""), seq, languages=tuple(event.get("languages") or ()),
                    exit_code=int(event.get("exit_code", 0) or 0), output=event.get("output", ""),
                    sandbox=event.get("sandbox", ""), files=tuple(event.get("files") or ()),
                    duration=float(event.get("duration", 0.0) or 0.0))
        self._open_cards.setdefault(card.agent, []).append(card)

    def _chat_started(self, event: dict[str, Any], seq: int, depth: int) -> None:
        chat_kind = event.get("kind", "")
        if chat_kind == "group":
            self.group_managers.add(event.get("recipient", ""))
        self._chats[event.get("chat_id", "")] = (event.get("sender", ""),
                                                 event.get("recipient", ""))
        item = Item("chat_started", seq, depth, sender=event.get("sender", ""),
                    recipient=event.get("recipient", ""), chat_kind=chat_kind,
                    members=tuple(event.get("members") or ()))
        self._add(item)

    def _usage_totals(self, usage: dict[str, Any]) -> None:
        total = usage.get("total", usage) if isinstance(usage, dict) else {}
        tokens = int(total.get("total_tokens", 0) or 0) or (
            int(total.get("prompt_tokens", 0) or 0) + int(total.get("completion_tokens", 0) or 0))
        if tokens:
            self.tokens = tokens
        if total.get("cost") is not None:
            self.cost = float(total.get("cost") or 0.0) or self.cost

    # -- nesting -------------------------------------------------------------------------------
    def _add(self, item: Item) -> None:
        """Top-level items go to the list; nested ones wait for the parent's next message."""
        children = self._pending.pop(item.depth + 1, None)
        if children:
            if item.kind == "message":
                item.children = children
            else:
                self._place(Item("nested", children[0].seq, item.depth, children=children))
        self._place(item)

    def _place(self, item: Item) -> None:
        if item.depth == 0:
            self.items.append(item)
        else:
            self._pending.setdefault(item.depth, []).append(item)

    def _flush_pending(self) -> None:
        for depth in sorted(self._pending, reverse=True):
            children = self._pending.pop(depth)
            parent_depth = depth - 1
            block = Item("nested", children[0].seq, parent_depth, children=children)
            self._place(block) if parent_depth == 0 else self._pending.setdefault(
                parent_depth, []).append(block)

    @property
    def pending_nested(self) -> list[Item]:
        """Nested chat items still going on (shown open below the transcript while live)."""
        return [item for depth in sorted(self._pending) for item in self._pending[depth]]

    @property
    def open_cards(self) -> list[Card]:
        """Tool and code cards whose message has not arrived yet."""
        return [card for cards in self._open_cards.values() for card in cards]


def _human_answer_note(event: dict[str, Any]) -> str:
    text = (event.get("text") or "").strip()
    agent = event.get("agent", "")
    kind = event.get("kind", "reply")
    # the agent that asked may itself be called "you" or "user": "You answered for you" reads oddly
    as_agent = "" if agent.lower() in ("", "you", "user", "human") else f" as **{agent}**"
    if kind == "speaker":
        return f"You chose **{text}** to speak next."
    if kind == "code_approval":
        decision = event.get("decision") or {}
        action = decision.get("action")
        if action == "approve":
            return f"You approved the code{' for ' + agent if agent else ''}."
        if action == "edit":
            return f"You edited the code{' ' + agent + ' runs' if agent else ''}."
        reason = (decision.get("reason") or "").strip()
        if action == "refuse":
            return f"You refused the code: {reason}" if reason else "You refused the code."
        return f"Code approval: {text}"  # a run stored before answers were structured
    if not text:
        return f"You let **{agent}** answer automatically." if as_agent else "You let the team carry on."
    if text.lower() == "exit":
        return "You ended the chat."
    return f"You answered{as_agent}."


def _lineage_note(event: dict[str, Any]) -> str:
    """Where a continued or forked run comes from (its first messages are copied from there)."""
    source = str(event.get("from_run") or "")[:8]
    if event.get("kind") == "continue":
        return (f"↪️ Continued from run {source}: the conversation up to your follow-up is "
                "copied from it.")
    at = int(event.get("at", 0) or 0) + 1
    edited = " (edited)" if event.get("edited") else ""
    return (f"🔀 Forked from run {source} at message {at}{edited}: the messages up to it are "
            "copied from that run; what follows is new.")


def agent_order(names: list[str], transcript: Transcript) -> list[str]:
    """Template agents first, then anyone else who spoke (a human, a manager)."""
    seen = list(names)
    for item in transcript.items:
        if item.kind == "message" and item.sender and item.sender not in seen:
            seen.append(item.sender)
    return seen

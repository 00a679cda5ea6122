"""The transcript: one chat bubble per message, cards for tool calls and code, nested
chats folded under the message they led to. Used live (Playground) and for History."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import streamlit as st

from .._transcript import Card, Item, Transcript
from ._look import look_for
from .files import file_viewer

_FENCE = re.compile(r"(```.*?(?:```|$))", re.S)
_INLINE_CODE = re.compile(r"(`[^`\n]*`)")
# ![alt](url "title"), ![alt](<url>), ![alt][ref] and ![ref]: every way markdown shows an image
_IMAGE = re.compile(r"!\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]"
                    r"(\(\s*<?[^)\s>]*>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)|\[[^\]\n]*\])?")
_URL = re.compile(r"\(\s*<?([^)\s>]*)")


def message_tag(item: Item, agents: Collection[str], humans: Collection[str]) -> str:
    """What the line above a message adds about whose words these are, when they are not
    simply the agent's: the person's (stepped in, a follow-up, an edit made when the run
    was forked) or an automatic reply in the person's place."""
    if item.origin == "followup":
        return " · _your follow-up_"
    if item.origin == "edited":
        return " · _edited at a fork_"
    if item.human and item.sender not in agents:
        return " · _stepped in_"
    if item.auto and item.sender in humans:
        return " · _automatic reply, not typed by you_"
    return ""


ENDING_WORD = "TERMINATE"
ENDING_BADGE = f":gray-badge[🏁 says the work is done ({ENDING_WORD})]"


def split_ending(text: str) -> tuple[str, bool]:
    """The message without the keyword that ends a chat, and whether it ended on it (the
    engine's default rule: the text, stripped, ends with it). The bare engine word at the
    end of a reply reads as shouting to someone who does not know it; the transcript shows
    it as a badge that says what it means."""
    stripped = text.strip()
    if not stripped.endswith(ENDING_WORD):
        return text, False
    return stripped[:-len(ENDING_WORD)].rstrip(), True


def safe_markdown(text: str) -> str:
    """Markdown that is safe to show: dollar signs kept literal outside code (Streamlit reads
    $..$ as maths), and images shown as links, never fetched. An image in an agent's message
    would make the browser fetch it from any host, so a transcript could be sent to a third
    party through the image's address; a link is fetched only when someone clicks it."""
    parts = _FENCE.split(text)
    return "".join(p if p.startswith("```") else _safe_prose(p) for p in parts)


def _safe_prose(text: str) -> str:
    parts = _INLINE_CODE.split(text)
    return "".join(p if p.startswith("`") and p.endswith("`") and len(p) > 1
                   else _IMAGE.sub(_image_link, p).replace("$", "\\$") for p in parts)


def _image_link(match: re.Match[str]) -> str:
    alt, target = match.group(1).strip(), match.group(2) or ""
    url = _URL.match(target)
    where = urlsplit(url.group(1)).hostname if url else None
    label = f"🖼️ image: {alt or 'no description'}" + (f" ({where})" if where else "")
    label = label.replace("[", "(").replace("]", ")")
    return f"[{label}]{target}" if target else f"[{label}]"


# the engine's reasons, said in words a workshop participant understands
_REASONS = {
    "termination message": "an agent said the work is done",
    "human exit": "you ended the chat",
    "max turns": "the turn limit was reached",
    "max rounds": "the round limit was reached",
    "max messages": "the message limit was reached",
    "no reply": "nobody had anything more to say",
    "cancelled": "you stopped it",
}


def _short(text: str, limit: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


MESSAGE_KEY = "tx_msg-"  # each message's container: st-key-tx_msg-<view key>-<seq>


class TranscriptView:
    """Renders a :class:`Transcript` for a run whose agents are ``agents`` (in order)."""

    def __init__(self, transcript: Transcript, agents: list[str], *, work_dir: Path | None,
                 key: str, humans: set[str] | None = None) -> None:
        self.tx = transcript
        self.agents = agents
        self.work_dir = work_dir
        self.key = key
        self.humans = humans or set()

    def render(self, *, live: bool = False, sending: list[str] | None = None) -> None:
        """The page of the transcript being looked at (the newest, unless the person went
        back); while live, what is being typed and what the person is sending."""
        if not self.tx.items and not self.tx.streaming and not self.tx.pending_nested:
            st.caption("The conversation appears here as soon as the first message is sent.")
        start, end = page_bounds(len(self.tx.items), st.session_state.get(self._page_key))
        if start > 0 or end < len(self.tx.items):
            self._pager(start, end, top=True)
        for item in self.tx.items[start:end]:
            self._item(item, folded=False)
        if end < len(self.tx.items):
            self._pager(start, end, top=False)
            return  # the newest messages are on a later page
        for text in sending or ():
            with st.chat_message("you", avatar="🙋"):
                st.markdown(f"**you** · _sending… delivered before the next turn_\n\n"
                            f"{safe_markdown(text)}")
        if self.tx.pending_nested:
            with st.expander("💬 A nested chat is going on…", expanded=live):
                for item in self.tx.pending_nested:
                    self._item(item, folded=True)
        for card in self.tx.open_cards:
            with st.chat_message(card.agent, avatar=self._look(card.agent).avatar):
                self._card(card, folded=False)
        for agent, text in self.tx.streaming.items():
            look = self._look(agent)
            ended = not live or self.tx.finished is not None
            with st.chat_message(agent, avatar=look.avatar):
                st.markdown(f":{look.colour}[**{agent}**] · "
                            + ("_cut off: the run ended mid-message_" if ended else "_typing…_"))
                st.markdown(safe_markdown(text) + ("" if ended else " ▌"))
        if self.tx.finished is not None:
            self._finished(self.tx.finished)

    # -- pages ------------------------------------------------------------------------------
    @property
    def _page_key(self) -> str:
        return f"tx_page_{self.key}"

    def _pager(self, start: int, end: int, *, top: bool) -> None:
        """Where this page is in the whole transcript, and the way to the others."""
        total = len(self.tx.items)
        where = "top" if top else "bottom"
        newer = end if end + PAGE_SIZE < total else None  # None: the newest page, live
        with st.container(key=f"tx_pager_{where}_{self.key}", horizontal=True,
                          vertical_alignment="center"):
            st.caption(f"{start + 1}–{end} of {total}")
            st.button("⏮", key=f"tx_first_{where}_{self.key}", disabled=start == 0,
                      help="The first messages", on_click=_go, args=(self._page_key, 0))
            st.button("◀ Earlier", key=f"tx_prev_{where}_{self.key}", disabled=start == 0,
                      on_click=_go, args=(self._page_key, max(0, start - PAGE_SIZE)))
            st.button("Newer ▶", key=f"tx_next_{where}_{self.key}", disabled=end >= total,
                      on_click=_go, args=(self._page_key, newer))
            st.button("⏭", key=f"tx_last_{where}_{self.key}", disabled=end >= total,
                      help="The newest messages (and, while the run goes on, what comes)",
                      on_click=_go, args=(self._page_key, None))

    # -- items ------------------------------------------------------------------------------
    def _look(self, name: str, human: bool = False):  # noqa: ANN202 - a Look
        return look_for(name, self.agents, human=human or name in self.humans)

    def _item(self, item: Item, *, folded: bool) -> None:
        if item.kind == "message":
            self._message(item, folded=folded)
        elif item.kind == "nested":
            self._nested(item.children, "the nested chat", folded=folded)
        elif item.kind == "note":
            self._note(item)
        elif item.kind == "chat_started":
            self._chat_started(item)
        elif item.kind == "chat_finished":
            summary = f": {_short(item.summary, 120)}" if item.summary else ""
            st.caption(f"🏁 Nested chat finished ({item.reason}){summary}")

    def _message(self, item: Item, *, folded: bool) -> None:
        look = self._look(item.sender, item.human)
        # keyed by the message's place in the run: the page (and a test) can tell one message
        # from another, even while a redraw briefly shows the earlier drawing of the same one
        with (st.container(key=f"{MESSAGE_KEY}{self.key}-{item.seq}"),
              st.chat_message(item.sender or "message", avatar=look.avatar)):
            if item.recipient in self.tx.group_managers:  # the manager passes it on to all
                to = " → everyone"
            else:
                to = f" → {item.recipient}" if item.recipient else ""
            st.markdown(f":{look.colour}[**{item.sender}**]{to}"
                        f"{message_tag(item, self.agents, self.humans)}")
            if item.children:
                self._nested(item.children, f"how {item.sender} got to this answer", folded=folded)
            if item.passages is not None:
                self._passages(item, folded=folded)
            elif item.check is not None:
                _answer_check(item)
            elif item.content.strip():
                body, ends = split_ending(item.content)
                if body.strip():
                    st.markdown(safe_markdown(body))
                if ends:
                    st.markdown(ENDING_BADGE)
            elif not item.cards:
                st.caption("(an empty reply)")
            for card in item.cards:
                self._card(card, folded=folded)

    @staticmethod
    def _passages(item: Item, *, folded: bool) -> None:
        """Which passages of which documents went out, then the message itself, folded."""
        passages = item.passages or []
        if not passages:
            st.markdown(f"📚 {safe_markdown(item.content.split(chr(10), 1)[0])}")
            return
        st.markdown(f"📚 **{len(passages)} passage{'s' if len(passages) != 1 else ''} from "
                    "the documents**")
        rows = []
        for p in passages:
            where = str(p.get("location") or "").rsplit(" › ", 1)[-1]
            rows.append(f"- **[{p.get('n')}]** {safe_markdown(str(p.get('source', '')))}"
                        + (f" · {safe_markdown(where)}" if where else "")
                        + f" · _rank {p.get('rank')}, score {p.get('score')}_")
        st.markdown("\n".join(rows))
        with _fold("The message as sent, passages included", folded):
            st.markdown(safe_markdown(item.content))

    def _nested(self, children: list[Item], title: str, *, folded: bool) -> None:
        count = sum(1 for c in children if c.kind == "message")
        label = f"💬 Nested chat — {title} ({count} message{'s' if count != 1 else ''})"
        if folded:
            st.markdown(f"**{label}**")
            for child in children:
                self._item(child, folded=True)
            return
        with st.expander(label):
            for child in children:
                self._item(child, folded=True)

    def _note(self, item: Item) -> None:
        if item.note_kind == "error":
            st.error(f"**Error{' in ' + item.sender if item.sender else ''}:** {item.content}", icon="🚨")
        elif item.note_kind == "warning":
            st.warning(item.content, icon="⚠️")
        elif item.note_kind == "paused":
            st.caption("⏸️ Paused")
        elif item.note_kind == "resumed":
            st.caption("▶️ Resumed")
        elif item.note_kind == "notice":
            st.info(item.content, icon="🔁")
        elif item.note_kind == "undelivered":
            st.warning(f"{item.content} It is offered below, to send as a follow-up.", icon="✉️")
        elif item.note_kind == "lineage":
            st.info(item.content)
        else:
            st.caption(f"🙋 {item.content}")

    def _chat_started(self, item: Item) -> None:
        if item.chat_kind == "group":
            members = ", ".join(item.members) or item.recipient
            st.caption(f"👥 Group chat started by {item.sender} with {members}")
        elif item.depth == 0:
            st.caption(f"💬 {item.sender} started a chat with {item.recipient}")
        else:
            st.caption(f"💬 {item.sender} consults {item.recipient}")

    def _finished(self, item: Item) -> None:
        reason = item.reason or "finished"
        body = f"**The run ended:** {_REASONS.get(reason, reason)}."
        if item.summary.strip():
            body += f"\n\n**Summary:** {safe_markdown(item.summary.strip())}"
        if reason in ("error", "cancelled", "failed") or item.note_kind == "interrupted":
            st.warning(body, icon="🛑")
        else:
            st.success(body, icon="🏁")

    # -- cards ------------------------------------------------------------------------------
    def _card(self, card: Card, *, folded: bool) -> None:
        label = _tool_label(card) if card.kind == "tool" else _code_label(card)
        with _fold(label, folded):
            if card.kind == "tool":
                self._tool_body(card)
            else:
                self._code_body(card)
        figure = _figure(card.result) if card.kind == "tool" and not card.is_error else ""
        if figure:  # a tool that draws (a chess board...) is shown, not hidden in the card
            st.code(figure, language="text")

    @staticmethod
    def _tool_body(card: Card) -> None:
        st.markdown("**Arguments**")
        st.code(_pretty_json(card.arguments), language="json")
        if card.result is None:
            st.caption("Waiting for the result…")
        else:
            st.markdown("**Result**" + (" (an error the model will read)" if card.is_error else ""))
            st.code(card.result or "(empty)", language="text")

    def _code_body(self, card: Card) -> None:
        st.code(card.output or "(no output)", language="text")
        where = card.sandbox or "unknown"
        st.caption(f"Sandbox: **{where}** · exit code {card.exit_code} · {card.duration:.2f} s")
        for index, file in enumerate(card.files):
            file_viewer(self.work_dir, file, key=f"{self.key}-file-{card.seq}-{index}")


def _answer_check(item: Item) -> None:
    check = item.check or {}
    text = safe_markdown(split_ending(item.content)[0].strip())
    if check.get("correct"):
        st.success(text, icon="✅")
    else:
        st.error(text, icon="❌")


PAGE_SIZE = 40  # items drawn at once: a 500-message run stays quick to show and scroll


def page_bounds(total: int, start: int | None) -> tuple[int, int]:
    """The items ``[start, end)`` of the page that starts at item ``start`` (None: the
    newest page, a whole page of the latest items, which follows a live run as it grows).
    Pages are kept by where they start, so a page read while the run grows stays put."""
    if start is None:
        return max(0, total - PAGE_SIZE), total
    first = max(0, min(int(start), max(0, total - PAGE_SIZE)))
    return first, min(total, first + PAGE_SIZE)


def _go(key: str, page: int | None) -> None:
    st.session_state[key] = page


@contextmanager
def _fold(label: str, folded: bool) -> Iterator[None]:
    """An expander, or (inside one already: Streamlit cannot nest them) a bordered box."""
    if folded:
        with st.container(border=True):
            st.markdown(label)
            yield
    else:
        with st.expander(label):
            yield


def _tool_label(card: Card) -> str:
    state = "⏳" if card.result is None else ("❌" if card.is_error else "✅")
    said = (card.result or "").strip().split("\n", 1)[0] if card.result else ""
    said = "" if said.startswith("```") else said
    return (f"🔧 Tool **{card.name}** ({_short(card.arguments, 40)}) {state}"
            + (f" — {safe_markdown(_short(said, 90))}" if said else ""))


def _figure(result: str | None) -> str:
    """The last fenced block of a tool's result: what the tool drew for people to see."""
    blocks = re.findall(r"```[a-z]*\n(.*?)\n```", result or "", re.S)
    return blocks[-1] if blocks else ""


def _code_label(card: Card) -> str:
    ok = card.exit_code == 0
    langs = ", ".join(card.languages) or "code"
    files = f" · {len(card.files)} file{'s' if len(card.files) != 1 else ''}" if card.files else ""
    sandbox = f" in {card.sandbox}" if card.sandbox else ""
    return (f"{'✅' if ok else '❌'} Ran {langs}{sandbox} · exit {card.exit_code}"
            f" · {card.duration:.2f} s{files}")


def _pretty_json(text: str) -> str:
    try:
        return json.dumps(json.loads(text or "{}"), indent=2, ensure_ascii=False)
    except (ValueError, TypeError):
        return text

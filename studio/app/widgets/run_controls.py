"""The controls of a live run: Pause / Resume / Stop, and the chat box to step in, each
saying at once what it did (a pause takes effect after the message being written; a
message sent is delivered before the next turn)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from .._transcript import Transcript

FLASH_KEY = "pg_flash"


def _act(action: Any, *args: Any) -> None:
    """A button callback: run the action, keep a failure to show on the next render."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - shown to the person, who can act on it
        st.session_state[FLASH_KEY] = str(exc)


def pausing(status: str, tx: Transcript) -> bool:
    """Pause was pressed but the agent is still finishing its message."""
    return status == "paused" and not tx.engine_paused


def run_controls(handle: Any, tx: Transcript) -> None:
    """Pause / Resume and Stop for a live run."""
    left, right = st.columns(2)
    if handle.status == "paused":
        left.button("Resume", key="resume_button", icon="▶️", on_click=_act,
                    args=(handle.resume,), width="stretch")
    else:
        left.button("Pause", key="pause_button", icon="⏸️", on_click=_act,
                    args=(handle.pause,), width="stretch")
    right.button("Stop", key="stop_button", icon="⏹️", on_click=_act, args=(handle.cancel,),
                 width="stretch")
    if pausing(handle.status, tx):
        st.caption("⏸️ Pausing after this message…")


def _sending_key(run_id: str) -> str:
    return f"sending:{run_id}"


def _interject(handle: Any, box: str) -> None:
    text = str(st.session_state.get(box) or "").strip()
    if not text:
        return
    request = handle.pending
    if request is not None and request.kind == "reply":
        _act(handle.answer, text)
    elif request is not None and request.kind in ("speaker", "code_approval"):
        st.session_state[FLASH_KEY] = "Answer the question above first."
    else:
        try:
            handle.interject(text)
        except Exception as exc:  # noqa: BLE001 - shown to the person
            st.session_state[FLASH_KEY] = str(exc)
            if handle.done:  # the run ended as it was sent: offer it for a follow-up
                st.session_state.setdefault(_unsent_key(handle.run_id), []).append(text)
            return
        # shown as "sending…" until the engine delivers it (before the next turn)
        sent = st.session_state.setdefault(_sending_key(handle.run_id), [])
        sent.append((handle.last_seq, text))
    count = f"sent_count:{handle.run_id}"  # the page's acknowledgement (see feedback.py)
    st.session_state[count] = int(st.session_state.get(count, 0)) + 1


def _unsent_key(run_id: str) -> str:
    return f"unsent:{run_id}"


def _words(text: str) -> str:
    return " ".join(text.split())


def sending(run_id: str, tx: Transcript, live: bool = True) -> list[str]:
    """What the person stepped in with that the engine has not delivered yet. Once the run
    has ended, what it never took is kept for :func:`unsent` (nothing typed is lost)."""
    sent: list[tuple[int, str]] = st.session_state.get(_sending_key(run_id), [])
    delivered = {(item.seq, _words(item.content)) for item in tx.items
                 if item.kind == "message" and item.human}
    left = [(seq, text) for seq, text in sent
            if not any(at > seq and said == _words(text) for at, said in delivered)]
    if tx.finished is not None or not live:
        recorded = {_words(text) for text in tx.undelivered}
        lost = [text for _, text in left if _words(text) not in recorded]
        if lost:  # the run ended before it took them and before it could say so
            st.session_state.setdefault(_unsent_key(run_id), []).extend(lost)
        left = []
    st.session_state[_sending_key(run_id)] = left
    return [text for _, text in left]


def unsent(run_id: str, tx: Transcript) -> list[str]:
    """The messages the person stepped in with that the run ended before delivering: the
    ones its transcript records, then any this page sent that never reached it."""
    texts: list[str] = []
    for text in [*tx.undelivered, *st.session_state.get(_unsent_key(run_id), [])]:
        if text.strip() and _words(text) not in {_words(t) for t in texts}:
            texts.append(text)
    return texts


def step_in(handle: Any) -> None:
    """The chat box, always there while a run goes: answers a pending reply, else steps in."""
    request = handle.pending
    if request is not None and request.kind == "reply":
        placeholder = "Your turn: type your reply and press Enter (exit ends the chat)…"
    elif request is not None and request.kind == "speaker":
        placeholder = "Choose who speaks next with the buttons above…"
    elif request is not None:
        placeholder = "Approve, edit or refuse the code above first…"
    else:
        placeholder = "Step in: write to the agents (delivered before the next turn)…"
    st.chat_input(placeholder, key="interject_input", on_submit=_interject,
                  args=(handle, "interject_input"))


def flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.warning(message, icon="⚠️")

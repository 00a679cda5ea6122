"""What the human is asked while a run waits: a reply, the next speaker, or code approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from .transcript import safe_markdown


def _act(action: Callable[..., Any], *args: Any) -> None:
    """A button callback: run the action, keep a failure to show on the next render."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - shown to the person, who can act on it
        st.session_state["pg_flash"] = str(exc)


def _from_state(handle: Any, key: str, prefix: str, default: str = "") -> None:
    text = str(st.session_state.get(key) or "").strip()
    _act(handle.answer, prefix + text if text else default)


def human_panel(handle: Any) -> None:
    """The prompt for the pending request of ``handle`` (a RunHandle), if any."""
    request = handle.pending
    if request is None:
        return
    _scroll_into_view("human_panel", f"{id(request)}")
    with st.container(border=True, key="human_panel"):
        if request.kind == "speaker":
            st.markdown(f"### 🙋 Who speaks next?\n**{request.agent}** asks you to choose.")
            cols = st.columns(min(max(len(request.options), 1), 4))
            for index, option in enumerate(request.options):
                cols[index % len(cols)].button(option, key=f"speaker_{option}", type="primary",
                                               on_click=_act, args=(handle.answer, option),
                                               width="stretch")
        elif request.kind == "code_approval":
            st.markdown(f"### 🙋 Run this code?\n**{request.agent}** asks before running code.")
            st.markdown(safe_markdown(request.prompt.split("\n\nPress enter")[0]))
            left, right = st.columns(2)
            left.button("Approve and run", key="approve_code", type="primary", on_click=_act,
                        args=(handle.answer, "approve"), width="stretch")
            with right.popover("Edit or refuse", width="stretch"):
                with st.form("edit_code_form", border=False):
                    st.text_area("Run this code instead", key="edited_code", height=160)
                    st.form_submit_button("Run my version", on_click=_from_state,
                                          args=(handle, "edited_code", "edit:\n"))
                with st.form("refuse_code_form", border=False):
                    st.text_input("Why not? (the agents read this)", key="refuse_reason")
                    st.form_submit_button("Refuse", on_click=_from_state,
                                          args=(handle, "refuse_reason", "", "I do not want this code to run."))
        else:
            st.markdown(f"### 🙋 Your turn\nYou are replying as **{request.agent}**.")
            with st.expander("The message you are answering"):
                st.markdown(safe_markdown(request.prompt))
            with st.form("reply_form", clear_on_submit=True, border=False):
                st.text_input("Your reply", key="reply_input",
                              placeholder="Type and press Enter. Empty = let it continue; "
                                          "exit = end the chat")
                send, cont, end = st.columns([1, 2, 2])
                send.form_submit_button("Send", type="primary", on_click=_from_state,
                                        args=(handle, "reply_input", ""))
                cont.form_submit_button("Continue without me", on_click=_act, args=(handle.answer, ""))
                end.form_submit_button("End the chat", on_click=_act, args=(handle.answer, "exit"))


def _scroll_into_view(key: str, token: str) -> None:
    """Bring the element ``st-key-<key>`` into view once per ``token`` (a new question)."""
    st.html(f"<script>/* {token} */ setTimeout(() => document.querySelector('.st-key-{key}')"
            f"?.scrollIntoView({{behavior: 'smooth', block: 'center'}}), 300);</script>",
            unsafe_allow_javascript=True)

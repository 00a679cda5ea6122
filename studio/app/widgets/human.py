"""What the human is asked while a run waits: a reply, the next speaker, or code approval."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from studio.engine import CodeDecision

from .transcript import safe_markdown


def _act(action: Callable[..., Any], *args: Any) -> None:
    """A button callback: run the action, keep a failure to show on the next render."""
    try:
        action(*args)
    except Exception as exc:  # noqa: BLE001 - shown to the person, who can act on it
        st.session_state["pg_flash"] = str(exc)


def _decide(handle: Any, decision: CodeDecision) -> None:
    _act(handle.answer, decision)


def _edited(handle: Any, key: str) -> None:
    code = str(st.session_state.get(key) or "")
    if not code.strip():
        st.session_state["pg_flash"] = "Write the code to run, or approve or refuse the original."
        return
    _decide(handle, CodeDecision.edit(code))


def _refused(handle: Any, key: str) -> None:
    _decide(handle, CodeDecision.refuse(str(st.session_state.get(key) or "")))


def _listing(request: Any) -> str:
    """The code asking to run, as fenced blocks."""
    return "\n\n".join(f"```{b.language}\n{b.code}\n```" for b in request.blocks)


def _token(request: Any) -> str:
    """Names the question across reruns (a run on a worker hands a new object each time), so
    a half-written edit or reason survives the page's polling."""
    blocks = "".join(f"{b.language}\n{b.code}" for b in request.blocks)
    text = f"{request.agent}\0{request.kind}\0{request.prompt}\0{blocks}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def human_panel(handle: Any) -> None:
    """The prompt for the pending request of ``handle`` (a RunHandle), if any."""
    request = handle.pending
    if request is None:
        return
    token = _token(request)
    _scroll_into_view("human_panel", token)
    with st.container(border=True, key="human_panel"):
        if request.kind == "speaker":
            st.markdown(f"### 🙋 Who speaks next?\n**{request.agent}** asks you to choose.")
            cols = st.columns(min(max(len(request.options), 1), 4))
            for index, option in enumerate(request.options):
                cols[index % len(cols)].button(option, key=f"speaker_{option}", type="primary",
                                               on_click=_act, args=(handle.answer, option),
                                               width="stretch")
        elif request.kind == "code_approval":
            _code_approval(handle, request, token)
        else:
            st.markdown(f"### 🙋 Your turn\nYou are replying as **{request.agent}**. Type your "
                        "reply in the box below and press Enter.")
            with st.expander("The message you are answering"):
                st.markdown(safe_markdown(request.prompt))
            cont, end = st.columns(2)
            cont.button("Continue without me", key="continue_button", on_click=_act,
                        args=(handle.answer, ""), width="stretch",
                        help="The agent answers on its own this time.")
            end.button("End the chat", key="end_chat_button", on_click=_act,
                       args=(handle.answer, "exit"), width="stretch")


def _code_approval(handle: Any, request: Any, token: str) -> None:
    st.markdown(f"### 🙋 Run this code?\n**{request.agent}** asks before running code.")
    listing = _listing(request)
    st.markdown(safe_markdown(listing or request.prompt))
    st.button("Approve and run", key="approve_code", type="primary", on_click=_decide,
              args=(handle, CodeDecision.approve()))
    with st.expander("Edit the code, or refuse it", key=f"edit_or_refuse_{token}"):
        edit_key, reason_key = f"edited_code_{token}", f"refuse_reason_{token}"
        with st.form("edit_code_form", border=False):
            st.text_area("Run this code instead", key=edit_key, height=200,
                         value="\n\n".join(b.code for b in request.blocks))
            st.form_submit_button("Run my version", on_click=_edited, args=(handle, edit_key))
        with st.form("refuse_code_form", border=False):
            st.text_input("Why not? (the agents read this)", key=reason_key,
                          placeholder="e.g. it writes files it should not")
            st.form_submit_button("Refuse", on_click=_refused, args=(handle, reason_key))


def _scroll_into_view(key: str, token: str) -> None:
    """Bring the element ``st-key-<key>`` into view once per ``token`` (a new question)."""
    st.html(f"<script>/* {token} */ setTimeout(() => document.querySelector('.st-key-{key}')"
            f"?.scrollIntoView({{behavior: 'smooth', block: 'center'}}), 300);</script>",
            unsafe_allow_javascript=True)

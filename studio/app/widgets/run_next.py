"""After a run: continue it with a follow-up, fork it from any message, compare it with
another run. Each makes a new run (the old one stays as it was) and shows it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studio.app._auth import current_actor
from studio.runs import continue_run, fork_points, fork_run
from studio.store import RunInfo

from .._launch import chosen_model, current_pace
from .._services import Services
from .run_controls import unsent
from .run_view import transcript_for

FLASH = "run_next_flash"


def _show(run_id: str, page: str | None) -> None:
    """Put the new run on screen: here (the Playground) or by switching to it."""
    if page is None:
        st.query_params["run"] = run_id
    else:
        st.session_state[f"open_run:{page}"] = run_id


def _continue(svc: Services, info: RunInfo, key: str, page: str | None) -> None:
    text = str(st.session_state.get(key) or "")
    try:
        new = continue_run(svc.manager, current_actor(), info.id, text, model=chosen_model(),
                           demo_pace=current_pace(svc.store))
    except Exception as exc:  # noqa: BLE001 - the person can act on it
        st.session_state[FLASH] = f"The run could not be continued: {exc}"
        return
    _show(new, page)


def _fork(svc: Services, info: RunInfo, pick: str, box: str, page: str | None) -> None:
    index = st.session_state.get(pick)
    if index is None:
        st.session_state[FLASH] = "Choose the message to fork from."
        return
    try:
        new = fork_run(svc.manager, current_actor(), info.id, int(index), str(st.session_state.get(box) or ""),
                       model=chosen_model(), demo_pace=current_pace(svc.store))
    except Exception as exc:  # noqa: BLE001
        st.session_state[FLASH] = f"The run could not be forked: {exc}"
        return
    _show(new, page)


def _picked(points: list[Any], pick: str, box: str) -> None:
    index = st.session_state.get(pick)
    if index is not None and 0 <= int(index) < len(points):
        st.session_state[box] = points[int(index)].content


def open_requested(page: str) -> None:
    """On a page other than the Playground: go to the run just made there."""
    run_id = st.session_state.pop(f"open_run:{page}", None)
    if run_id:
        st.switch_page("views/playground.py", query_params={"run": run_id})


def run_next(svc: Services, info: RunInfo, *, key: str, page: str | None = None) -> None:
    """The ways on from an ended run (``page``: the page this is drawn on, when it is not
    the Playground the new run opens in)."""
    if info.status == "running":
        return
    message = st.session_state.pop(FLASH, None)
    if message:
        st.warning(message, icon="⚠️")
    st.markdown("#### What next?")
    follow, fork, compare = st.tabs(["💬 Continue", "🔀 Fork from a message", "⚖️ Compare"])
    with follow:
        box = f"continue_{key}"
        offered = unsent(info.id, transcript_for(svc, info.id))
        if info.status == "finished":
            _offer(offered, box, key)
            with st.form(f"continue_form_{key}", border=False, clear_on_submit=True):
                st.text_area("Follow-up message", key=box, height=68,
                             placeholder="Ask the team something more; it answers with the "
                                         "whole conversation in mind.")
                st.form_submit_button("Continue the conversation", icon="💬", type="primary",
                                      on_click=_continue, args=(svc, info, box, page))
        else:
            st.caption(f"This run {_ended(info.status)}: fork it from one of its messages "
                       "to go on from there.")
            for text in offered:
                st.caption("✉️ The run ended before your message reached the team: copy "
                           "it into a fork to send it.")
                st.code(text, language=None, wrap_lines=True)
    with fork:
        try:
            points = fork_points(svc.manager, current_actor(), info.id)
        except Exception as exc:  # noqa: BLE001 - an odd old run: say why, keep the page
            st.caption(f"This run cannot be forked: {exc}")
            points = []
        if points:
            pick, edit = f"fork_pick_{key}", f"fork_text_{key}"
            st.selectbox("Message", [p.index for p in points], key=pick, index=None,
                         placeholder="Choose a message to go on from",
                         format_func=lambda i: _label(points[i]), on_change=_picked,
                         args=(points, pick, edit))
            st.text_area("Its text (edit it, then run from there)", key=edit, height=120)
            st.button("Run from this message", key=f"fork_go_{key}", icon="🔀",
                      on_click=_fork, args=(svc, info, pick, edit, page))
            st.caption("The new run copies the conversation up to that message, with your "
                       "edit, and goes on live from there. This run stays as it is.")
    with compare:
        st.page_link("views/compare.py", label="Compare this run with another", icon="⚖️",
                     query_params={"a": info.id})


def _offer(texts: list[str], box: str, key: str) -> None:
    """Put what the person stepped in with, and the run ended before taking, in the
    Continue box (once: their edits are kept), saying why it is there."""
    if not texts:
        return
    marker = f"continue_offered_{key}"
    if not st.session_state.get(marker):
        st.session_state[marker] = True
        st.session_state[box] = "\n\n".join(texts)
    st.caption("✉️ The run ended before your message reached the team; it is in the box "
               "below: press **Continue the conversation** to send it.")


def _label(point: Any) -> str:
    text = " ".join(point.content.split())
    nested = "↳ " if point.depth else ""
    return f"#{point.index + 1} {nested}{point.sender}: {text[:70]}{'…' if len(text) > 70 else ''}"


def _ended(status: str) -> str:
    return {"cancelled": "was stopped", "failed": "failed",
            "interrupted": "was interrupted"}.get(status, f"is {status}")

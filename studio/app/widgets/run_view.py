"""A run on screen: status line, transcript, team graph and (while live) the controls.

The live part is a fragment re-run every 0.3 s that drains only the new events; once
the run has ended it re-runs the page once, and the page stops polling.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import streamlit as st

from studio.spec import TemplateSpec
from studio.store import RunInfo

from .._auth import current_actor
from .._services import Services
from .._transcript import Transcript, agent_order
from .connection import LIVE_KEY_PREFIX, connection_watchdog
from .feedback import acknowledge, feedback_script
from .human import human_panel
from .run_controls import flash, pausing, run_controls, sending, step_in
from .team_graph import team_graph
from .transcript import TranscriptView
from .usage_charts import usage_charts

POLL_SECONDS = 0.3
_BADGES = {
    "running": ("🟢", "Running"), "waiting": ("🙋", "Waiting for you"), "paused": ("⏸️", "Paused"),
    "finished": ("🏁", "Finished"), "failed": ("❌", "Failed"), "cancelled": ("⏹️", "Stopped"),
    "interrupted": ("⚠️", "Interrupted"),
    "queued": ("⏳", "Waiting for a worker"),
}


def run_label(run: RunInfo, *details: str) -> str:
    """A run as a picker lists it: only what never changes about it, and the start of its
    id, so that two runs alike (a run and its fork, in the same minute) still differ. The
    browser reports a choice by its label: a label that changed, or one two runs share,
    would open another run than the one picked."""
    when = dt.datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M")
    return " · ".join([when, run.template_name, *details, " ".join(run.task.split())[:50],
                       f"#{run.id[:6]}"])


def status_badge(status: str, *, short: bool = False) -> str:
    """The status with its icon; ``short``: the words alone, for a table column."""
    icon, label = _BADGES.get(status, ("•", status))
    return f"{icon} {label.split(' (')[0] if short else label}"


def spec_of(info: RunInfo) -> TemplateSpec | None:
    try:
        return TemplateSpec.model_validate(info.template_snapshot)
    except Exception:  # noqa: BLE001 - an old or odd snapshot still shows its transcript
        return None


def transcript_for(svc: Services, run_id: str) -> Transcript:
    """The run's transcript, kept in the session and fed only with events not seen yet."""
    key = f"tx:{run_id}"
    tx = st.session_state.get(key)
    if not isinstance(tx, Transcript):
        tx = st.session_state[key] = Transcript()
    handle = svc.manager.get(current_actor(), run_id)
    if handle is not None:
        tx.feed(handle.events_since(tx.last_seq))
    elif tx.finished is None:
        tx.feed(svc.manager.transcript(current_actor(), run_id))
    return tx


WAIT_SHOWN_AFTER = 1.0  # seconds: a model that answers at once shows no waiting line


def model_wait(handle: Any) -> tuple[str, float] | None:
    """(agent, seconds) while a model call is outstanding: the run's newest event is the
    call's announcement (any later event - a token, the message, an error - ends the wait)."""
    if handle is None or handle.done:
        return None
    newest = handle.events_since(max(handle.last_seq - 1, 0))
    if not newest or newest[-1].get("type") != "model_call":
        return None
    waited = time.time() - float(newest[-1].get("time") or time.time())
    return (str(newest[-1].get("agent") or ""), waited) if waited >= WAIT_SHOWN_AFTER else None


def status_line(status: str, tx: Transcript, info: RunInfo,
                waiting: tuple[str, float] | None = None) -> None:
    turn = tx.rounds or tx.messages
    cost = f"${tx.cost:.4f}" if tx.cost else "$0"
    tokens = tx.tokens or info.total_tokens
    elapsed = (info.finished_at or time.time()) - info.started_at
    wait = ""
    if waiting is not None:
        who = f"{waiting[0]} is " if waiting[0] else ""
        wait = f" &nbsp;·&nbsp; ⏳ {who}waiting for the model ({waiting[1]:.0f} s)…"
    badge = "⏸️ Pausing after this message…" if pausing(status, tx) else status_badge(status)
    st.markdown(f"**{badge}**{wait} &nbsp;·&nbsp; turn **{turn}** &nbsp;·&nbsp; "
                f"**{tokens:,}** tokens &nbsp;·&nbsp; cost **{cost}** &nbsp;·&nbsp; "
                f"{elapsed:.0f} s &nbsp;·&nbsp; model: {info.model_label or 'as in the template'}")


def render_run(svc: Services, run_id: str, info: RunInfo, *, key: str, graph: bool = True) -> None:
    """A whole run; live (polling) while it goes on in this process."""
    handle = svc.manager.get(current_actor(), run_id)
    live = handle is not None and not handle.done
    if live:
        feedback_script()

    @st.fragment(run_every=POLL_SECONDS if live else None)
    def body() -> None:
        _body(svc, run_id, info, key=key, graph=graph, was_live=live)

    body()


def _body(svc: Services, run_id: str, info: RunInfo, *, key: str, graph: bool, was_live: bool) -> None:
    handle = svc.manager.get(current_actor(), run_id)
    tx = transcript_for(svc, run_id)
    if was_live and (handle is None or handle.done):
        st.rerun()  # the run ended: render once more without polling
    status = handle.status if handle is not None else info.status
    spec = spec_of(info)
    agents = agent_order(spec.agent_names if spec else [], tx)
    humans = {a.name for a in spec.agents if a.kind.is_proxy} if spec else set()
    work_dir = handle.work_dir if handle is not None else (Path(info.work_dir) if info.work_dir else None)
    live = handle is not None and not handle.done
    if live:
        connection_watchdog()  # if the server dies now, the page must not say "Running"
    with st.container(key=f"{LIVE_KEY_PREFIX}status_{key}" if live else f"run_status_{key}"):
        status_line(status, tx, info, model_wait(handle))
    if handle is not None and handle.error:
        st.error(f"The run failed: {handle.error}", icon="🚨")
    left, right = st.columns([3, 2], gap="large") if graph and spec else (st.container(), None)
    with left:
        live = handle is not None and not handle.done
        still_sending = sending(run_id, tx, live)
        TranscriptView(tx, agents, work_dir=work_dir, key=key, humans=humans).render(
            live=live, sending=still_sending)
        # drawn live or not, so the elements after it keep their places when the run ends
        answers = sum(1 for i in tx.items if i.kind == "note"
                      and i.note_kind == "human_input_received")
        acknowledge(f"{status}|{answers}|{len(still_sending)}|{tx.engine_paused}|"
                    f"{st.session_state.get('sent_count:' + run_id, 0)}")
        if handle is not None and not handle.done:
            flash()
            with st.container(key=f"{LIVE_KEY_PREFIX}human_{key}"):
                human_panel(handle)
    if right is not None and spec is not None:
        _stick_side_column()
        with right.container(key=f"run_side_{key}"):
            team_graph(spec, tx, key=f"{key}-graph", status=status)
            if handle is not None and not handle.done:
                with st.container(key=f"{LIVE_KEY_PREFIX}controls_{key}"):
                    run_controls(handle, tx)
            usage_charts(tx, handle.usage if handle is not None else info.usage, key=key)
    if handle is not None and not handle.done:
        step_in(handle)


def _stick_side_column() -> None:
    """Keep the team graph and the controls in view while the transcript grows."""
    st.html("<style>div[data-testid='stColumn']:has([class*='st-key-run_side_']) "
            "{position: sticky; top: 3.5rem; align-self: flex-start;}</style>")


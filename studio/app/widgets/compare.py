"""Two runs side by side: what differs at a glance (model, length, tokens, cost, time), then
both transcripts."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studio.app._auth import current_actor
from studio.store import RunInfo

from .._services import Services
from .._transcript import Transcript, agent_order
from .run_view import run_label, spec_of, status_badge
from .transcript import TranscriptView


def _chosen(param: str) -> None:
    st.query_params[param] = st.session_state[f"compare_{param}"]


def run_picker(runs: list[RunInfo], param: str, label: str, *, default: int) -> str:
    """A run chosen by the person (kept in the URL as ``?a=`` / ``?b=``)."""
    by_id = {r.id: r for r in runs}
    wanted = st.query_params.get(param)
    key = f"compare_{param}"
    if wanted in by_id:
        st.session_state[key] = wanted
    elif st.session_state.get(key) not in by_id:
        st.session_state[key] = runs[min(default, len(runs) - 1)].id
    return str(st.selectbox(label, list(by_id), key=key,
                            format_func=lambda i: run_label(
                                by_id[i], by_id[i].model_label or "its own models"),
                            on_change=_chosen, args=(param,)))


def figures(info: RunInfo, tx: Transcript) -> dict[str, Any]:
    """What a comparison shows of one run."""
    messages = sum(1 for i in tx.items if i.kind == "message")
    by_agent = (info.usage or {}).get("by_agent") or {}
    busiest = max(by_agent.items(), key=lambda kv: kv[1].get("total_tokens", 0),
                  default=(None, {}))[0]
    return {"status": status_badge(info.status), "model": info.model_label or "its own models",
            "messages": messages, "tokens": tx.tokens or info.total_tokens,
            "cost ($)": round(tx.cost or info.cost, 6),
            "time (s)": round(info.duration, 1) if info.duration is not None else None,
            "most tokens": busiest or "-"}


def _transcript(svc: Services, run_id: str) -> Transcript:
    tx = Transcript()
    tx.feed(svc.manager.transcript(current_actor(), run_id))
    return tx


def compare_runs(svc: Services, first: str, second: str) -> None:
    infos = [svc.store.get_run(current_actor(), first), svc.store.get_run(current_actor(), second)]
    txs = [_transcript(svc, r.id) for r in infos]
    rows = [figures(i, t) for i, t in zip(infos, txs, strict=True)]
    table = {field: [rows[0][field], rows[1][field]] for field in rows[0]}
    st.dataframe([{"": field, "first run": str(a), "second run": str(b)}
                  for field, (a, b) in table.items()], hide_index=True, width="stretch")
    if first == second:
        st.caption("Both sides show the same run: choose another one for the second.")
    columns = st.columns(2, gap="medium")
    for side, (column, info, tx) in enumerate(zip(columns, infos, txs, strict=True)):
        with column:
            st.markdown(f"**{info.template_name}** · {info.model_label or 'its own models'}")
            st.markdown(f"> {' '.join(info.task.split())[:200]}")
            spec = spec_of(info)
            agents = agent_order(spec.agent_names if spec else [], tx)
            humans = {a.name for a in spec.agents if a.kind.is_proxy} if spec else set()
            TranscriptView(tx, agents, work_dir=None, key=f"cmp{side}-{info.id[:8]}",
                           humans=humans).render(live=False)

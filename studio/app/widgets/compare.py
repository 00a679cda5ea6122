"""Two runs side by side: what differs at a glance (model, length, tokens, cost, time, which
run the other continues or forks), then both transcripts."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studio.app._auth import current_actor
from studio.runs import LINEAGE
from studio.store import RunInfo

from .._markdown import literal
from .._services import Services
from .._transcript import Transcript, agent_order
from .run_view import run_label, spec_of, status_badge
from .transcript import TranscriptView

# a continued or forked run's lineage note comes right after its start (see
# studio.runs._lineage.opening): only that far into each run is read
_LINEAGE_WITHIN = 2
SIDES = ("first run", "second run")


def lineages(svc: Services, runs: list[RunInfo]) -> dict[str, dict[str, Any]]:
    """Where each continued or forked run of ``runs`` comes from (its lineage note), by run
    id; runs started afresh are left out. One query, however many runs."""
    found = svc.store.opening_events(current_actor(), [r.id for r in runs], LINEAGE,
                                     within=_LINEAGE_WITHIN)
    return {run_id: event.data for run_id, event in found.items()}


def _source(note: dict[str, Any]) -> str:
    return str(note.get("from_run") or "")


def _words(note: dict[str, Any], source: str | None) -> tuple[str, str]:
    source = source or f"#{_source(note)[:6]}"
    if note.get("kind") == "continue":
        return "↪️", f"follow-up of {source}"
    at = int(note.get("at", 0) or 0) + 1
    return "🔀", f"fork of {source} at message {at}" + (" (edited)" if note.get("edited") else "")


def lineage_mark(note: dict[str, Any], source: str | None = None) -> str:
    """A continued or forked run in a few words: "↪️ follow-up of #1a2b3c", "🔀 fork of
    #1a2b3c at message 3 (edited)" (``source`` names the run it comes from instead of its
    id; message numbers are the Fork tab's, from 1)."""
    return " ".join(_words(note, source))


def _chosen(param: str) -> None:
    st.query_params[param] = st.session_state[f"compare_{param}"]


def run_picker(runs: list[RunInfo], param: str, label: str, *, default: int,
               lineage: dict[str, dict[str, Any]]) -> str:
    """A run chosen by the person (kept in the URL as ``?a=`` / ``?b=``); a continued or
    forked run says so, with the start of the id of the run it comes from (``lineage``:
    see :func:`lineages`)."""
    by_id = {r.id: r for r in runs}
    notes = lineage
    wanted = st.query_params.get(param)
    key = f"compare_{param}"
    if wanted in by_id:
        st.session_state[key] = wanted
    elif st.session_state.get(key) not in by_id:
        st.session_state[key] = runs[min(default, len(runs) - 1)].id

    def label_of(run_id: str) -> str:
        run = by_id[run_id]
        mark = [lineage_mark(notes[run_id])] if run_id in notes else []  # early: seen whole
        return run_label(run, *mark, run.model_label or "its own models")

    return str(st.selectbox(label, list(by_id), key=key, format_func=label_of,
                            on_change=_chosen, args=(param,)))


def origin(infos: list[RunInfo], notes: dict[str, dict[str, Any]], side: int) -> str:
    """Where the run on ``side`` (0 or 1) comes from (the other side named as such when it
    is that run), then whether the other side comes from it; "" when neither."""
    here, there = infos[side].id, infos[1 - side].id
    if here == there:
        return ""
    other = SIDES[1 - side]
    lines = []
    note, theirs = notes.get(here), notes.get(there)
    if note is not None:
        icon, words = _words(note, f"the {other}" if _source(note) == there else None)
        lines.append(f"{icon} This run is a {words}.")
    if theirs is not None and _source(theirs) == here:
        icon, words = _words(theirs, "this run")
        lines.append(f"{icon} The {other} is a {words}.")
    return " ".join(lines)


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


def compare_runs(svc: Services, first: str, second: str,
                 lineage: dict[str, dict[str, Any]]) -> None:
    infos = [svc.store.get_run(current_actor(), first), svc.store.get_run(current_actor(), second)]
    notes = lineage
    txs = [_transcript(svc, r.id) for r in infos]
    rows = [figures(i, t) for i, t in zip(infos, txs, strict=True)]
    table = {field: [rows[0][field], rows[1][field]] for field in rows[0]}
    table["comes from"] = [_comes_from(infos, notes, side) for side in (0, 1)]
    st.dataframe([{"": field, SIDES[0]: str(a), SIDES[1]: str(b)}
                  for field, (a, b) in table.items()], hide_index=True, width="stretch")
    if first == second:
        st.caption("Both sides show the same run: choose another one for the second.")
    columns = st.columns(2, gap="medium")
    for side, (column, info, tx) in enumerate(zip(columns, infos, txs, strict=True)):
        with column:
            st.markdown(f"**{literal(info.template_name)}** · "
                        f"{literal(info.model_label) or 'its own models'}")
            line = origin(infos, notes, side)
            if line:
                st.caption(line)
            st.markdown(f"> {literal(' '.join(info.task.split())[:200])}")
            spec = spec_of(info)
            agents = agent_order(spec.agent_names if spec else [], tx)
            humans = {a.name for a in spec.agents if a.kind.is_proxy} if spec else set()
            TranscriptView(tx, agents, work_dir=None, key=f"cmp{side}-{info.id[:8]}",
                           humans=humans).render(live=False)


def _comes_from(infos: list[RunInfo], notes: dict[str, dict[str, Any]], side: int) -> str:
    """The figures table's word on where a run comes from (the other side named as such)."""
    note = notes.get(infos[side].id)
    if note is None:
        return "-"
    there = infos[1 - side]
    if _source(note) == there.id and there.id != infos[side].id:
        return lineage_mark(note, f"the {SIDES[1 - side]}")
    return lineage_mark(note)

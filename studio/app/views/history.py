"""History: every run, filterable; open one to read it, export it, or delete it."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from studio.app._auth import current_actor
from studio.app._export import run_json, run_markdown
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.run_next import open_requested, run_next
from studio.app.widgets.run_view import render_run, run_label, status_badge
from studio.store import RUN_STATUSES

PAGE_SIZE = 200


def _when(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")


_SOURCES = {"studio": "Studio", "cli": "Command line", "api": "API"}


def _source(info, key_names: dict[int, str]) -> str:  # noqa: ANN001 - RunInfo
    """Where the run was started: Studio, Command line, or API (with its key's name)."""
    label = _SOURCES.get(info.source, "")
    if info.source == "api" and info.api_key_id in key_names:
        label += f" (key {key_names[info.api_key_id]})"
    return label


def _delete(svc, run_id: str) -> None:  # noqa: ANN001
    try:
        svc.manager.delete(current_actor(), run_id)
    except Exception as exc:  # noqa: BLE001 - e.g. still running
        st.session_state["history_flash"] = ("error", f"Could not delete the run: {exc}")
        return
    st.session_state.pop("history_run_select", None)
    st.session_state.pop(f"tx:{run_id}", None)
    st.session_state["history_flash"] = ("success", "The run and its files were deleted.")


with page_guard("History"):
    svc = services()
    open_requested("history")  # a run continued or forked here opens in the Playground
    st.title("🕘 History")
    flash = st.session_state.pop("history_flash", None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    actor = current_actor()
    all_runs = svc.store.list_runs(actor, limit=PAGE_SIZE)
    if not all_runs:
        st.info("No runs yet. Open the **Gallery**, pick a template and press **Run**; every run "
                "is kept here with its whole transcript.", icon="🕘")
        st.stop()
    left, right = st.columns(2)
    status = left.selectbox("Status", ["all", *RUN_STATUSES], key="history_status",
                            format_func=lambda s: "All" if s == "all" else status_badge(s, short=True))
    names = sorted({r.template_name for r in all_runs})
    template = right.selectbox("Template", ["all", *names], key="history_template",
                               format_func=lambda s: "All" if s == "all" else s)
    runs = svc.store.list_runs(actor, limit=PAGE_SIZE, status=None if status == "all" else status,
                               template=None if template == "all" else template)
    if not runs:
        st.info("No run matches these filters.")
        st.stop()
    key_names = ({k.id: k.name for k in svc.store.list_api_keys(actor)}
                 if actor.is_admin else {})
    st.dataframe(
        [{"started": _when(r.started_at), "status": status_badge(r.status, short=True),
          "template": r.template_name, "from": _source(r, key_names),
          "task": " ".join(r.task.split())[:90],
          "tokens": r.total_tokens, "cost ($)": round(r.cost, 4),
          "duration (s)": round(r.duration, 1) if r.duration is not None else None} for r in runs],
        hide_index=True, width="stretch",
        column_config={"status": st.column_config.TextColumn("status", width="medium")})
    interrupted = sum(1 for r in runs if r.status == "interrupted")
    if interrupted:
        st.warning(f"{interrupted} run{'s were' if interrupted != 1 else ' was'} interrupted "
                   "(the server stopped, or the run was lost before it started); open one to "
                   "see why. Everything said before is kept.", icon="⚠️")
    by_id = {r.id: r for r in runs}
    if st.session_state.get("history_run_select") not in by_id:
        st.session_state["history_run_select"] = runs[0].id
    run_id = st.selectbox("Open a run", list(by_id), key="history_run_select",
                          format_func=lambda i: run_label(by_id[i]))
    info = svc.store.get_run(actor, run_id)
    st.divider()
    st.subheader(info.template_name)
    st.markdown(f"> {' '.join(info.task.split())}")
    if info.source:
        st.caption(f"Started from: {_source(info, key_names)}")
    if info.status == "interrupted":
        why = info.reason or "the server stopped while the run was going"
        st.warning(f"This run was **interrupted**: {why}. The transcript below holds "
                   "everything said until then.", icon="⚠️")
    export = svc.store.export_run(actor, run_id)
    a, b, c, _ = st.columns([3, 3, 3, 2])  # wide enough for the whole labels
    a.download_button("Export Markdown", run_markdown(export), file_name=f"run-{run_id[:8]}.md",
                      mime="text/markdown", key="export_md", icon="📝")
    b.download_button("Export JSON", run_json(export), file_name=f"run-{run_id[:8]}.json",
                      mime="application/json", key="export_json", icon="🧾")
    with c.popover("Delete run", icon="🗑️"):
        st.markdown("Delete this run, its transcript and the files its code made? This cannot be undone.")
        st.button("Yes, delete it", key="delete_run_confirm", type="primary", on_click=_delete,
                  args=(svc, run_id))
    render_run(svc, run_id, info, key=f"hist-{run_id[:8]}")
    run_next(svc, info, key=f"h{run_id[:8]}", page="history")

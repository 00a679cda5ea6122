"""Above a run: its task, editable in place, to run the same team again on another task."""

from __future__ import annotations

import streamlit as st

from studio.spec import TemplateSpec
from studio.store import RunInfo

from .._launch import launch
from .._services import Services


def _run_again(svc: Services, spec: TemplateSpec, info: RunInfo, box: str) -> None:
    task = str(st.session_state.get(box) or "").strip()
    if not task:
        st.session_state["launch_error"] = (ValueError("write a task first"),
                                            "The run could not start")
        return
    run_id = launch(svc, spec, task, template_name=info.template_name)
    if run_id:
        st.query_params["run"] = run_id


def _fill(box: str, ideas: str) -> None:
    chosen = st.session_state.get(ideas)
    if chosen:
        st.session_state[box] = chosen
    st.session_state[ideas] = None


def task_bar(svc: Services, info: RunInfo, spec: TemplateSpec | None, *, key: str) -> None:
    """The run's task in a box: edit it and press "Run again" (Ctrl+Enter) for a new run of
    the same team; the template's other sample tasks are one click away."""
    if spec is None:  # an old snapshot that no longer loads: the task is still worth seeing
        st.markdown(f"> {' '.join(info.task.split())}")
        return
    box = f"task_again_{key}"
    st.session_state.setdefault(box, info.task)
    ideas = [t for t in spec.sample_tasks if " ".join(t.split()) != " ".join(
        str(st.session_state.get(box, "")).split())]
    left, right = st.columns([7, 1], vertical_alignment="bottom")
    with left, st.form(f"task_again_form_{key}", border=False, enter_to_submit=False):
        inner, button = st.columns([4, 1], vertical_alignment="bottom")
        inner.text_area("Task", key=box, height=68,
                        help="Edit the task and press Run again (or Ctrl+Enter) to run the same "
                             "team on it.")
        button.form_submit_button("Run again", icon="🔁", on_click=_run_again,
                                  args=(svc, spec, info, box), width="stretch")
    if ideas:
        with right.popover("Ideas", icon="💡", width="stretch"):
            st.pills("Other sample tasks", ideas, key=f"task_ideas_{key}",
                     selection_mode="single", on_change=_fill, args=(box, f"task_ideas_{key}"),
                     format_func=lambda t: t if len(t) <= 70 else t[:69] + "…",
                     help="Puts the task in the box; press Run again to run it.")

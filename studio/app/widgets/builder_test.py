"""The Builder's test panel: run the draft as it is now, beside the canvas. Nothing is
saved: the draft stays a draft (it does not appear in the Gallery); the run is kept in
History like any other, under the draft's name."""

from __future__ import annotations

import streamlit as st

from studio.spec import TemplateSpec
from studio.store import NotFound

from .. import _builder_session as session
from .._launch import launch, show_launch_error
from .demo_note import demo_banner
from .run_view import render_run

TEST_RUN = "builder_test_run"  # the id of the draft's latest test run
TEST_TASK = "builder_test_task"
SIDE = "builder_side"  # the panel beside the canvas: agent | pattern | test


TABS = "builder_tab"  # which of the Builder's tabs is open (Canvas, Text, Save & versions)
CANVAS_TAB = "Canvas"


def draft_name(name: str) -> str:
    return f"{name} (draft)"


def another_team(spec: TemplateSpec) -> None:
    """A different team is being edited (opened, new, a shape): its test panel starts
    afresh with the team's own sample task, not the last team's task and run."""
    st.session_state[TEST_TASK] = spec.default_task
    st.session_state.pop(TEST_RUN, None)


def start_test_run(ctx: session.Draft) -> None:
    """Run the draft on the task in the test panel (else its first sample task)."""
    spec = st.session_state[session.SPEC]
    st.session_state[SIDE] = "test"
    st.session_state[TABS] = CANVAS_TAB  # the test panel is beside the canvas: show it
    task = str(st.session_state.get(TEST_TASK) or "").strip() or spec.default_task
    if not task.strip():
        st.session_state["launch_error"] = (
            ValueError("write a task for the test run, or add a sample task to the team"),
            "The test run could not start")
        return
    st.session_state[TEST_TASK] = task
    run_id = launch(ctx.svc, spec, task, template_name=draft_name(spec.name),
                    what="The test run could not start")
    if run_id:
        st.session_state[TEST_RUN] = run_id


def render_test_panel(ctx: session.Draft, blocker: str | None) -> None:
    st.session_state.setdefault(TEST_TASK, ctx.spec.default_task)
    st.text_area("Task for the test run", key=TEST_TASK, height=68,
                 placeholder="What the team should do (empty: its first sample task)")
    st.button("Run the draft", key="builder_test_go", type="primary", icon="▶️",
              on_click=start_test_run, args=(ctx,), disabled=blocker is not None,
              width="stretch")
    st.caption(f"Not yet: {blocker}" if blocker else
               "Runs the team as it is on the canvas, without saving it. Each run is kept in "
               "History.")
    show_launch_error()
    run_id = st.session_state.get(TEST_RUN)
    if not run_id:
        return
    try:
        info = ctx.svc.store.get_run(ctx.actor, run_id)
    except NotFound:
        st.session_state.pop(TEST_RUN, None)
        return
    st.page_link("views/playground.py", label="Open this run in the Playground", icon="🎛️",
                 query_params={"run": run_id})
    if "Demo model" in (info.model_label or ""):
        demo_banner(key="builder-test")
    render_run(ctx.svc, run_id, info, key="builder-test", graph=False)

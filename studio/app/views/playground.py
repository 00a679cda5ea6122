"""Playground: choose a template, a task and a model; run it and watch, stepping in."""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._catalog import DEMO, model_choices, pattern_label, templates
from studio.app._guard import page_guard
from studio.app._launch import OPEN_RUN, launch, show_launch_error
from studio.app._services import services
from studio.app.widgets.demo_note import demo_banner
from studio.app.widgets.documents import documents_choice
from studio.app.widgets.run_header import task_bar
from studio.app.widgets.run_next import run_next
from studio.app.widgets.run_view import render_run, spec_of
from studio.spec import use_collection
from studio.store import NotFound

REQUEST_KEY = "playground_template"  # set by the Gallery before switching here


TYPED_KEY = "pg_typed"  # template key -> the task the person ran it on (their own words)


def _remember(widget: str, shadow: str) -> None:
    st.session_state[shadow] = st.session_state[widget]


def _task_key(template: str) -> str:
    """The task box of one template. Each template has its own box, so the box can never
    show another template's task: a box whose value is changed from a callback keeps the
    browser's old value when reruns follow each other quickly (several choices in a row),
    whereas a new box starts from its own value."""
    return f"task_input__{template}"


def _keep_task(template: str) -> None:
    st.session_state.setdefault(TYPED_KEY, {})[template] = st.session_state[_task_key(template)]


def setup_form(svc, entries: dict) -> None:  # noqa: ANN001 - Services
    keys = list(entries)
    typed: dict[str, str] = st.session_state.setdefault(TYPED_KEY, {})
    requested = st.session_state.pop(REQUEST_KEY, None)
    if requested in entries:  # from the Gallery: its first sample task
        st.session_state["pg_template"] = st.session_state["template_select"] = requested
        typed.pop(requested, None)
        st.session_state.pop(_task_key(requested), None)
    if st.session_state.get("template_select") not in entries:
        saved = st.session_state.get("pg_template")
        st.session_state["template_select"] = saved if saved in entries else keys[0]
    chosen = st.session_state["template_select"]
    choices = model_choices(svc.store, current_actor())
    if st.session_state.get("pg_model") not in choices:
        st.session_state["pg_model"] = DEMO
    st.session_state["model_select"] = st.session_state["pg_model"]

    left, right = st.columns([3, 2])
    left.selectbox("Template", keys, key="template_select", format_func=lambda k: entries[k].name,
                   on_change=_remember, args=("template_select", "pg_template"))
    right.selectbox("Model", list(choices), key="model_select", format_func=choices.__getitem__,
                    on_change=_remember, args=("model_select", "pg_model"),
                    help="Demo and Local run offline. Add OpenAI-compatible models on the Models page.")
    entry = entries[chosen]
    if st.session_state["model_select"] == DEMO:
        demo_banner(key="setup", store=svc.store)
    st.caption(f"{pattern_label(entry.spec)} · {len(entry.spec.agents)} agents · "
               f"{' '.join(entry.spec.description.split())}")
    collection = documents_choice(svc, current_actor(), entry.spec)
    with st.form("run_form", border=False):
        with st.container(key="task_input"):
            st.text_area("Task", value=typed.get(chosen, entry.spec.default_task),
                         key=_task_key(chosen), height=90,
                         help="What the team should do. Press Ctrl+Enter or click Run.")
        samples = entry.spec.sample_tasks[1:]
        if samples:
            st.caption("Other ideas: " + " · ".join(f"_{s}_" for s in samples))
        if st.form_submit_button("Run", type="primary", icon="▶️", key="run_button",
                                 on_click=_keep_task, args=(chosen,)):
            _start(svc, entry, st.session_state[_task_key(chosen)],
                   st.session_state["model_select"], collection)


def _start(svc, entry, task: str, model: str, collection: str | None = None,  # noqa: ANN001
           ) -> None:
    if not task.strip():
        st.error("Write a task for the team first (or pick a template with a sample task).")
        return
    with st.spinner("Starting the run…"):
        spec = use_collection(entry.spec, collection) if collection else entry.spec
        run_id = launch(svc, spec, task, template_name=entry.name, model=model)
    if run_id is None:
        show_launch_error()
        return
    st.query_params["run"] = run_id
    st.rerun()  # show the run at the top, with this form folded away


with page_guard("Playground"):
    st.session_state.pop(OPEN_RUN, None)  # the Gallery's run is here: no switch again
    svc = services()
    st.title("🎛️ Playground")
    actor = current_actor()
    entries = templates(svc.store, svc.registry_for(actor), actor, svc.registry)
    if not entries:
        st.info("No templates yet. Bundled templates should be here; reinstall the studio, or "
                "import one on the Gallery page.")
        st.stop()
    show_launch_error()
    run_id = st.query_params.get("run") or ""
    info = None
    if run_id:
        try:
            info = svc.store.get_run(actor, run_id)
        except NotFound:
            st.warning("That run no longer exists (it may have been deleted). Start a new one below.")
            del st.query_params["run"]
    if info is not None:  # a run is on screen: fold the form so the transcript starts near the top
        with st.expander("Start another run: choose a template, model and task", icon="▶️",
                         key=f"pg_setup_{run_id[:8]}"):  # a new run starts with it folded
            setup_form(svc, entries)
        st.subheader(f"{info.template_name}")
        if "Demo model" in (info.model_label or ""):
            demo_banner(key="run")
        task_bar(svc, info, spec_of(info), key=run_id[:8])
        render_run(svc, run_id, info, key=f"pg-{run_id[:8]}")
        run_next(svc, info, key=run_id[:8])
    else:
        setup_form(svc, entries)
        st.caption("👆 Pick a template, check the task, and press **Run**. The Demo model runs "
                   "offline, with no key.")

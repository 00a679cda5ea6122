"""Gallery: a card per template, with its team drawn small and a Run button."""

from __future__ import annotations

import streamlit as st

from studio.app._catalog import pattern_label, templates
from studio.app._guard import page_guard
from studio.app._launch import launch, show_launch_error
from studio.app._services import services
from studio.app.widgets.diagram import team_svg
from studio.app.widgets.template_files import template_files

COLUMNS = 3


OPEN_RUN = "gallery_open_run"
LAUNCHED = "gallery_launched"  # which drawing of the page a run was started from
DRAWN = "gallery_drawn"


def _run(svc, key: str, drawn: int) -> None:  # noqa: ANN001 - Services
    """One click: start the template on its first sample task, then show the run. A second
    click on the same drawing of the page (a double click) does not start a second run."""
    if st.session_state.get(LAUNCHED) == drawn:
        return
    entry = templates(svc.store, svc.registry).get(key)
    if entry is None:
        return
    st.session_state[LAUNCHED] = drawn
    st.session_state["playground_template"] = key  # "Start another run" opens on it
    if not entry.spec.default_task.strip():  # nothing to run on: the Playground asks for a task
        st.session_state[OPEN_RUN] = ""
        return
    run_id = launch(svc, entry.spec, entry.spec.default_task, template_name=entry.name)
    if run_id:
        st.session_state[OPEN_RUN] = run_id


with page_guard("Gallery"):
    svc = services()
    st.title("🖼️ Gallery")
    st.caption("Ready-made teams of agents. Press **Run** to watch one work on its first sample "
               "task (you can change the task above the run) — the Demo model runs offline, so "
               "every template works out of the box.")
    opened = st.session_state.pop(OPEN_RUN, None)
    if opened is not None:
        st.switch_page("views/playground.py", query_params={"run": opened} if opened else None)
    show_launch_error()
    drawn = st.session_state[DRAWN] = int(st.session_state.get(DRAWN, 0)) + 1
    entries = templates(svc.store, svc.registry)
    template_files(svc.store, svc.registry, entries)
    if not entries:
        st.info("No templates found. The bundled ones ship with the studio: reinstall it.")
    columns = st.columns(COLUMNS, gap="medium")
    for index, (key, entry) in enumerate(entries.items()):
        spec = entry.spec
        with columns[index % COLUMNS].container(border=True, key=f"card-{key.replace(':', '-')}"):
            st.markdown(f"#### {spec.name}")
            st.caption(f"{pattern_label(spec)} · {len(spec.agents)} agents"
                       + (" · saved" if entry.origin == "saved" else ""))
            st.markdown(team_svg(spec), unsafe_allow_html=True)
            st.markdown(" ".join(spec.description.split()))
            if spec.tags:
                st.caption(" ".join(f"`{t}`" for t in spec.tags))
            task = " ".join(spec.default_task.split())
            st.caption(f"▶️ Runs on: _{task if len(task) <= 90 else task[:89] + '…'}_" if task
                       else "▶️ Opens the Playground for you to write a task.")
            st.button("Run", key=f"gallery_run_{key.replace(':', '-')}", type="primary", icon="▶️",
                      on_click=_run, args=(svc, key, drawn), width="stretch")

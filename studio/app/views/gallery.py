"""Gallery: a card per template, with its team drawn small and a Run button."""

from __future__ import annotations

import re

import streamlit as st

from studio.app._auth import current_actor, shared_mode
from studio.app._catalog import pattern_label, templates
from studio.app._guard import page_guard, page_visit
from studio.app._launch import OPEN_RUN, launch, show_launch_error
from studio.app._services import services
from studio.app.widgets.diagram import team_svg
from studio.app.widgets.template_files import template_files

COLUMNS = 3


LAUNCHED = "gallery_launched"  # which drawing of the page a run was started from
DRAWN = "gallery_drawn"


def _share(svc, name: str, key: str) -> None:  # noqa: ANN001 - Services
    try:
        svc.store.share_template(current_actor(), name, bool(st.session_state[key]))
    except Exception as exc:  # noqa: BLE001 - shown, the toggle goes back
        st.session_state["gallery_flash"] = f"Could not change sharing: {exc}"


def _run(svc, key: str, drawn: int) -> None:  # noqa: ANN001 - Services
    """One click: start the template on its first sample task, then show the run. A second
    click on the same drawing of the page (a double click) does not start a second run."""
    if st.session_state.get(LAUNCHED) == drawn:
        return
    actor = current_actor()
    entry = templates(svc.store, svc.registry_for(actor), actor, svc.registry).get(key)
    if entry is None:
        return
    st.session_state[LAUNCHED] = drawn
    st.session_state["playground_template"] = key  # "Start another run" opens on it
    if not entry.spec.default_task.strip():  # nothing to run on: the Playground asks for a task
        st.session_state[OPEN_RUN] = ("", page_visit())
        return
    run_id = launch(svc, entry.spec, entry.spec.default_task, template_name=entry.name)
    if run_id:
        st.session_state[OPEN_RUN] = (run_id, page_visit())


with page_guard("Gallery"):
    svc = services()
    st.title("🖼️ Gallery")
    st.caption("Ready-made teams of agents. Press **Run** to watch one work on its first sample "
               "task (you can change the task above the run) — the Demo model runs offline, so "
               "every template works out of the box.")
    opened = st.session_state.get(OPEN_RUN)  # (the Playground forgets it once there)
    if opened is not None and opened[1] == page_visit():  # clicked on this visit
        st.switch_page("views/playground.py",
                       query_params={"run": opened[0]} if opened[0] else None)
    st.session_state.pop(OPEN_RUN, None)  # (from a visit the person has left since)
    show_launch_error()
    if "gallery_flash" in st.session_state:
        st.error(st.session_state.pop("gallery_flash"))
    drawn = st.session_state[DRAWN] = int(st.session_state.get(DRAWN, 0)) + 1
    actor = current_actor()
    registry = svc.registry_for(actor)
    entries = templates(svc.store, registry, actor, svc.registry)
    template_files(svc.store, actor, registry, entries)
    if not entries:
        st.info("No templates found. The bundled ones ship with the studio: reinstall it.")
    columns = st.columns(COLUMNS, gap="medium")
    for index, (key, entry) in enumerate(entries.items()):
        spec = entry.spec
        with columns[index % COLUMNS].container(border=True, key=f"card-{key.replace(':', '-')}"):
            st.markdown(f"#### {spec.name}")
            st.caption(f"{pattern_label(spec)} · {len(spec.agents)} agents"
                       + (f" · shared by {entry.owner}" if entry.owner
                          else " · saved" if entry.origin == "saved" else ""))
            st.markdown(team_svg(spec), unsafe_allow_html=True)
            st.markdown(" ".join(spec.description.split()))
            if spec.tags:
                st.caption(" ".join(f"`{t}`" for t in spec.tags))
            task = " ".join(spec.default_task.split())
            st.caption(f"▶️ Runs on: _{task if len(task) <= 90 else task[:89] + '…'}_" if task
                       else "▶️ Opens the Playground for you to write a task.")
            st.button("Run", key=f"gallery_run_{key.replace(':', '-')}", type="primary", icon="▶️",
                      on_click=_run, args=(svc, key, drawn), width="stretch")
            if shared_mode() and entry.origin == "saved" and not entry.owner:
                share_key = "share_" + re.sub(r"[^A-Za-z0-9_-]", "-", key.replace(":", "-"))
                st.session_state[share_key] = entry.shared
                st.toggle("Shared with the workshop", key=share_key,
                          on_change=_share, args=(svc, key.removeprefix("saved:"), share_key),
                          help="Everyone in the workshop can then see and run it (not change it).")

"""Gallery: a card per template, with its team drawn small and a Run button."""

from __future__ import annotations

import re

import streamlit as st

from studio.app._auth import current_actor, shared_mode
from studio.app._catalog import pattern_label, templates
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.diagram import team_svg
from studio.app.widgets.template_files import template_files

COLUMNS = 3


def _share(svc, name: str, key: str) -> None:  # noqa: ANN001 - Services
    try:
        svc.store.share_template(current_actor(), name, bool(st.session_state[key]))
    except Exception as exc:  # noqa: BLE001 - shown, the toggle goes back
        st.session_state["gallery_flash"] = f"Could not change sharing: {exc}"


def _open(key: str) -> None:
    st.session_state["playground_template"] = key
    st.session_state["gallery_open"] = True


with page_guard("Gallery"):
    svc = services()
    st.title("🖼️ Gallery")
    st.caption("Ready-made teams of agents. Press **Run** to try one in the Playground — the "
               "Demo model runs offline, so every template works out of the box.")
    if st.session_state.pop("gallery_open", False):
        st.switch_page("views/playground.py")
    if "gallery_flash" in st.session_state:
        st.error(st.session_state.pop("gallery_flash"))
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
            st.button("Run", key=f"gallery_run_{key.replace(':', '-')}", type="primary", icon="▶️",
                      on_click=_open, args=(key,), width="stretch")
            if shared_mode() and entry.origin == "saved" and not entry.owner:
                share_key = "share_" + re.sub(r"[^A-Za-z0-9_-]", "-", key.replace(":", "-"))
                st.session_state[share_key] = entry.shared
                st.toggle("Shared with the workshop", key=share_key,
                          on_change=_share, args=(svc, key.removeprefix("saved:"), share_key),
                          help="Everyone in the workshop can then see and run it (not change it).")

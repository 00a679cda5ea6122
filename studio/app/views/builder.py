"""Builder: build a team on a canvas, edit every setting, validate as you edit, save versions.

Stable hooks for end-to-end tests: the palette pills ``builder_palette`` (one button per
agent preset, labelled with its label); the canvas iframe (``st-key-builder_canvas``; nodes
``.react-flow__node[data-id="n<index>"]``, stored edges ``[data-testid="rf__edge-e<k>"]``); the
agent picker (selectbox labelled "Agent"); tabs "Canvas" and "Text"; the text view's "Apply"
(``builder_text_apply``); "Save" (``builder_save``), "Run" (``builder_run``), "Open"
(``builder_open``), "New team" (``builder_new``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio.app import _builder_draft as draft
from studio.app import _builder_session as session
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.agent_form import render_agent_form
from studio.app.widgets.builder_save import (
    render_open,
    render_save,
    request_run,
    run_blocker,
    show_notice,
)
from studio.app.widgets.builder_text import render_text_view
from studio.app.widgets.canvas import agent_icon, apply_canvas_changes, render_canvas
from studio.app.widgets.pattern_panel import render_pattern_panel

PALETTE_KEY = "builder_palette"
RUN_REQUESTED = "builder_run_requested"


def _add(ctx: session.Draft) -> None:
    preset_name = st.session_state.get(PALETTE_KEY)
    st.session_state[PALETTE_KEY] = None
    if preset_name not in ctx.registry.agent_presets:
        return
    spec, name = draft.add_agent(st.session_state[session.SPEC],
                                 ctx.registry.agent_presets[preset_name])
    session.commit(ctx.svc, spec)
    session.select(spec.agent_names.index(name))


def _pick(key: str) -> None:
    session.select(st.session_state[key])


def palette(ctx: session.Draft) -> None:
    presets = ctx.registry.agent_presets
    st.pills("Add an agent", list(presets), key=PALETTE_KEY, selection_mode="single",
             format_func=lambda n: f"{presets[n].icon} {presets[n].label}".strip(),
             on_change=_add, args=(ctx,),
             help="Click a kind of agent to drop it onto the canvas.")


def problem_list(ctx: session.Draft) -> None:
    if not ctx.problems:
        st.success("No problems: this team is ready to run.", icon="✅")
        return
    errors = ctx.errors
    with st.expander(f"{len(errors)} problem{'s' if len(errors) != 1 else ''}, "
                     f"{len(ctx.problems) - len(errors)} warning"
                     f"{'s' if len(ctx.problems) - len(errors) != 1 else ''}",
                     expanded=bool(errors), icon="⛔" if errors else "⚠️"):
        for p in ctx.problems:
            mark = "⛔" if p.severity == "error" else "⚠️"
            st.markdown(f"{mark} `{p.path or '(template)'}` — {p.message}")


def editor(ctx: session.Draft) -> None:
    spec = ctx.spec
    index = session.selected(spec)
    agents, pattern = st.tabs(["Agent", "Pattern"])
    with agents:
        if not spec.agents:
            st.info("No agents yet: add some from the palette above.", icon="👆")
        else:
            key = ctx.key("agent_select", len(spec.agents), index)
            st.selectbox("Agent", list(range(len(spec.agents))), key=key, index=index,
                         placeholder="Click a node, or pick an agent here",
                         format_func=lambda i: f"{agent_icon(spec.agents[i])} {spec.agents[i].name}",
                         on_change=_pick, args=(key,))
            if index is not None:
                render_agent_form(ctx, index)
    with pattern:
        render_pattern_panel(ctx)


def header(ctx: session.Draft) -> None:
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.title("🧩 Builder")
    reason = run_blocker(ctx)
    if right.button("Run", key="builder_run", type="primary", icon="▶️", disabled=reason is not None,
                    help=reason or "Saves the team if it changed, then opens it in the Playground.",
                    width="stretch"):
        if request_run(ctx):
            st.switch_page(Path(__file__).with_name("playground.py"))
    if reason:
        st.caption(f"▶️ Run is off — {reason}")
    saved_as = st.session_state.get(session.SAVED_AS)
    st.caption(f"Editing **{ctx.spec.name}**" + (f" (saved as “{saved_as}”)" if saved_as
                                                 else " (not saved yet)")
               + " · your draft is kept automatically, even across reloads.")


with page_guard("Builder"):
    svc = services()
    ctx = session.load(svc)
    spec = apply_canvas_changes(ctx)
    if spec is not ctx.spec:
        ctx = session.load(svc)
    # Containers keep the page's top-level layout fixed whatever they hold, so the tabs
    # below are not re-created (and reset to the first one) when a notice comes and goes.
    with st.container():
        header(ctx)
    with st.container():
        show_notice()
    render_open(ctx)
    canvas_tab, text_tab, save_tab = st.tabs(["Canvas", "Text", "Save & versions"])
    with canvas_tab:
        palette(ctx)
        left, right = st.columns([3, 2])
        with left:
            render_canvas(ctx)
            problem_list(ctx)
        with right:
            editor(ctx)
    with text_tab:
        render_text_view(ctx)
    with save_tab:
        render_save(ctx)
    session.finish_run()

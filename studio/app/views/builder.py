"""Builder: build a team on a canvas, edit every setting, validate as you edit, save versions.

Stable hooks for end-to-end tests: the palette pills ``builder_palette`` (one button per
agent preset, labelled with its label; drag one onto the canvas, or click it); the canvas
iframe (``st-key-builder_canvas``; nodes ``.react-flow__node[data-id="n<index>"]``, stored
edges ``[data-testid="rf__edge-e<k>"]``); the panel beside the canvas (``builder_side``:
"Agent", "Conversation", "Test run"), its agent picker (selectbox labelled "Agent") and its
form (``st-key-agent_form_n<index>``); tabs "Canvas" and "Text"; the text view's "Apply"
(``builder_text_apply``); "Save" (``builder_save``), "Run" (``builder_run``: runs the draft in
the test panel, without saving), "Open" (``builder_open``), "New team" (``builder_new``);
on a blank canvas, "Start from a shape" (``builder_shapes``: one button per shape,
``builder_shape_<key>``).
"""

from __future__ import annotations

import streamlit as st

from studio.app import _builder_draft as draft
from studio.app import _builder_session as session
from studio.app._builder_shapes import SHAPES, shape_team
from studio.app._builder_words import PANELS, is_untouched, sentence
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets.agent_form import render_agent_form
from studio.app.widgets.builder_client import builder_client_script, dropped_preset
from studio.app.widgets.builder_save import render_open, render_save, run_blocker, show_notice
from studio.app.widgets.builder_test import SIDE, another_team, render_test_panel, start_test_run
from studio.app.widgets.builder_text import render_text_view
from studio.app.widgets.canvas import agent_icon, apply_canvas_changes, render_canvas
from studio.app.widgets.pattern_panel import render_pattern_panel

PALETTE_KEY = "builder_palette"
SIDES = PANELS


def _add(ctx: session.Draft, preset_name: str | None = None,
         position: tuple[float, float] | None = None) -> None:
    if preset_name is None:  # clicked in the palette
        preset_name = st.session_state.get(PALETTE_KEY)
        st.session_state[PALETTE_KEY] = None
    if preset_name not in ctx.registry.agent_presets:
        return
    spec, name = draft.add_agent(st.session_state[session.SPEC],
                                 ctx.registry.agent_presets[preset_name], position=position)
    session.commit(ctx.svc, spec)
    session.select(spec.agent_names.index(name))
    st.session_state[SIDE] = "agent"


def _start_from(ctx: session.Draft, key: str) -> None:
    """Replace the blank draft with a whole team of the shape ``key``."""
    spec = shape_team(key)
    session.replace(ctx.svc, spec, saved_as=None)
    another_team(spec)
    st.session_state[SIDE] = "agent"


def shapes(ctx: session.Draft) -> None:
    """On a blank canvas: whole small teams, ready to run, one click each."""
    st.markdown("**Start from a shape**, ready to run, then change what you like; or "
                "build your own below.")
    with st.container(key="builder_shapes", horizontal=True):
        for key, shape in SHAPES.items():
            st.button(f"{shape.icon} {shape.label}", key=f"builder_shape_{key}",
                      help=f"{shape.label}: {shape.blurb}.", on_click=_start_from,
                      args=(ctx, key))


def _pick(key: str) -> None:
    # The browser reports the picker by its label: one drawn before a rename (or one no
    # longer drawn) comes back as that label, not as an agent, and must not clear the form.
    value = st.session_state.get(key)
    if session.is_live(key) and isinstance(value, int):
        session.select(value)


def palette(ctx: session.Draft) -> None:
    presets = ctx.registry.agent_presets
    st.pills("Add an agent", list(presets), key=PALETTE_KEY, selection_mode="single",
             format_func=lambda n: f"{presets[n].icon} {presets[n].label}".strip(),
             on_change=_add, args=(ctx,),
             help="Drag a kind of agent onto the canvas, or click it to add it.")


def problem_list(ctx: session.Draft) -> None:
    """What to fix, as sentences; nothing on a blank canvas nobody has touched yet."""
    if is_untouched(ctx.spec):
        st.info("Start by dragging an agent from the palette onto the canvas (or clicking "
                "it). Add a second one, then drag from one agent's right dot to the other's "
                "left dot to connect them.", icon="👆")
        return
    if not ctx.problems:
        st.success("Ready: this team can run.", icon="✅")
        return
    errors = ctx.errors
    warnings = len(ctx.problems) - len(errors)
    title = (f"{len(errors)} thing{'s' if len(errors) != 1 else ''} to do before it can run"
             if errors else f"{warnings} suggestion{'s' if warnings != 1 else ''}")
    with st.expander(title, expanded=bool(errors), icon="✋" if errors else "💡"):
        for p in ctx.problems:
            st.markdown(f"{'✋' if p.severity == 'error' else '💡'} {sentence(p, ctx.spec)}")


def side_panel(ctx: session.Draft, blocker: str | None) -> None:
    """Beside the canvas: the selected agent, the conversation's settings, or a test run."""
    st.session_state.setdefault(SIDE, "agent")
    if st.session_state[SIDE] not in SIDES:
        st.session_state[SIDE] = "agent"
    st.segmented_control("Panel", list(SIDES), key=SIDE, format_func=SIDES.__getitem__,
                         label_visibility="collapsed", width="stretch")
    side = st.session_state.get(SIDE) or "agent"
    spec = ctx.spec
    if side == "pattern":
        render_pattern_panel(ctx)
    elif side == "test":
        render_test_panel(ctx, blocker)
    elif not spec.agents:
        st.info("No agents yet: drag one from the palette above onto the canvas.", icon="👆")
    else:
        index = session.selected(spec)
        # Keyed by the names too, so that a rename draws a new picker with the new labels.
        key = session.live(ctx.key("agent_select", session.digest([a.name for a in spec.agents]),
                                   index))
        st.selectbox("Agent", list(range(len(spec.agents))), key=key, index=index,
                     placeholder="Click an agent on the canvas, or pick one here",
                     format_func=lambda i: f"{agent_icon(spec.agents[i])} {spec.agents[i].name}",
                     on_change=_pick, args=(key,))
        if index is not None:
            with st.container(key=f"agent_form_n{index}"):
                render_agent_form(ctx, index)


def header(ctx: session.Draft, reason: str | None) -> None:
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    left.title("🧩 Builder")
    right.button("Run", key="builder_run", type="primary", icon="▶️",
                 disabled=reason is not None, on_click=start_test_run, args=(ctx,),
                 width="stretch")
    if reason and not is_untouched(ctx.spec):
        st.caption(f"▶️ Run is off: {reason}")
    elif not reason:
        st.caption("▶️ Run tries the team in the test panel beside the canvas, without saving "
                   "it.")
    saved_as = st.session_state.get(session.SAVED_AS)
    st.caption(f"Editing **{ctx.spec.name}**" + (f" (saved as “{saved_as}”)" if saved_as
                                                 else " (not saved yet)")
               + " · your draft is kept automatically, even across reloads.")


with page_guard("Builder"):
    svc = services()
    ctx = session.load(svc)
    dropped = dropped_preset()
    if dropped is not None:  # dragged from the palette onto the canvas
        _add(ctx, *dropped)
        ctx = session.load(svc)
    before = session.selected(ctx.spec)
    spec = apply_canvas_changes(ctx)
    if spec is not ctx.spec:
        ctx = session.load(svc)
    after = session.selected(ctx.spec)
    if after is not None and after != before:  # an agent clicked on the canvas: show it
        st.session_state[SIDE] = "agent"
    blocker = run_blocker(ctx)
    # Containers keep the page's top-level layout fixed whatever they hold, so the tabs
    # below are not re-created (and reset to the first one) when a notice comes and goes.
    with st.container():
        header(ctx, blocker)
    with st.container():
        show_notice(ctx.spec)
    render_open(ctx)
    # (Run, at the top, brings the Canvas tab into view in the browser: builder_client)
    canvas_tab, text_tab, save_tab = st.tabs(["Canvas", "Text", "Save & versions"])
    with canvas_tab:
        with st.container():  # (a fixed slot: the canvas below keeps its place)
            if is_untouched(ctx.spec):
                shapes(ctx)
        palette(ctx)
        left, right = st.columns([3, 2])
        with left:
            render_canvas(ctx)
            problem_list(ctx)
        with right, st.container(key="builder_side_panel"):
            side_panel(ctx, blocker)
    with text_tab:
        render_text_view(ctx)
    with save_tab:
        render_save(ctx)
    builder_client_script(list(ctx.registry.agent_presets))
    session.finish_run()

"""The Builder's canvas (streamlit-flow-component): agents as nodes, the pattern as edges.

What the canvas shows is the draft; what people do on it (drag a node, drag from a node's
right handle to another's left handle to connect, right-click a node or an edge and
"Delete", click a node to edit it) comes back as the component's value, which
:func:`apply_canvas_changes` folds into the draft at the top of the next script run.

Node ids are ``n<index>`` (the agent's position in ``agents``); pattern edges are
``e<index>``; nested chats are drawn dashed as ``x<agent>_<chat>`` and edited in the form.
"""

from __future__ import annotations

import json
import time
from typing import Any

import streamlit as st
from streamlit_flow import StreamlitFlowEdge, StreamlitFlowNode, StreamlitFlowState, streamlit_flow

from studio.spec import AgentKind, AgentSpec, PatternKind, Problem, TemplateSpec

from .. import _builder_draft as draft
from .. import _builder_session as session
from .._builder_words import NODE_KINDS

WIDGET_KEY = "builder_canvas"  # the component's key (its value lands here)
STATE_KEY = "builder_flow_state"  # the StreamlitFlowState we last pushed (never the widget key)
SIGNATURE_KEY = "builder_flow_sig"
SEEN_KEY = "builder_flow_seen"
SHOWN_KEY = "builder_flow_shown"  # what the canvas last reported showing (ids and labels)
EARLIER_KEY = "builder_flow_earlier"  # the agents (node ids) of the push before the last one
HEIGHT = 460

_EDGE_HELP = {
    PatternKind.GROUP: "An arrow A → B means **B may speak after A** in the group chat.",
    PatternKind.TWO_AGENT: "The arrow means **A starts a chat with B** (exactly one arrow).",
    PatternKind.SEQUENCE: "Arrows are chats run **one after another**, in the numbered order.",
}


def agent_icon(agent: AgentSpec) -> str:
    code = agent.code_execution is not None and agent.code_execution.executor != "none"
    if agent.kind == AgentKind.RETRIEVE_USER_PROXY:
        return "📚"
    if agent.kind == AgentKind.USER_PROXY:
        return "▶️" if code and agent.human_input != "always" else "🧑"
    if agent.tools:
        return "🛠️"
    return "💻" if code else "🤖"


def _badge(problems: list[Problem]) -> tuple[str, str]:
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        return f"⛔ {len(errors)} problem{'s' if len(errors) != 1 else ''}", "#e0433f"
    if problems:
        return f"⚠️ {len(problems)} warning{'s' if len(problems) != 1 else ''}", "#e07b00"
    return "", "#9aa0a6"


def node_id(index: int) -> str:
    return f"n{index}"


def flow_elements(spec: TemplateSpec, problems: list[Problem], selected: int | None,
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The canvas's nodes and edges (as the component's dicts) for the draft."""
    nodes: list[dict[str, Any]] = []
    for i, agent in enumerate(spec.agents):
        badge, colour = _badge(draft.problems_for_agent(problems, agent.name))
        kind = NODE_KINDS.get(agent.kind.value, agent.kind.value)
        lines = [f"{agent_icon(agent)} **{agent.name}**", f"<sub>{kind}"
                 + (" · starts" if spec.pattern.starter == agent.name else "") + "</sub>"]
        if badge:
            lines.append(f"<sub>{badge}</sub>")
        pos = spec.layout.get(agent.name)
        x, y = (pos.x, pos.y) if pos else draft.grid_position(i)
        border = "3px solid #1c83e1" if i == selected else f"2px solid {colour}"
        if badge and i != selected:
            border = f"2px solid {colour}"
        style = {"border": border, "borderRadius": "10px", "padding": "4px 10px",
                 "background": "#fff5f5" if colour == "#e0433f" else "#ffffff",
                 "minWidth": "110px", "fontSize": "13px"}
        nodes.append(StreamlitFlowNode(
            node_id(i), (x, y), {"content": "\n\n".join(lines)}, "default", "right", "left",
            selectable=True, connectable=True, deletable=True, style=style).asdict())
    names = {a.name: i for i, a in enumerate(spec.agents)}
    edges: list[dict[str, Any]] = []
    labels = draft.edge_labels(spec)
    for k, edge in enumerate(spec.pattern.edges):
        if edge.source not in names or edge.target not in names:
            continue
        edges.append(StreamlitFlowEdge(
            f"e{k}", node_id(names[edge.source]), node_id(names[edge.target]), "default",
            marker_end={"type": "arrowclosed", "width": 18, "height": 18}, label=labels[k],
            label_show_bg=bool(labels[k]), deletable=True, focusable=True,
            style={"strokeWidth": 2}).asdict())
    for i, agent in enumerate(spec.agents):
        for j, nested in enumerate(agent.nested_chats):
            if nested.recipient in names:
                edges.append(StreamlitFlowEdge(
                    f"x{i}_{j}", node_id(i), node_id(names[nested.recipient]), "default",
                    marker_end={"type": "arrow"}, label="consults", label_show_bg=True,
                    style={"strokeDasharray": "6 4", "stroke": "#803df5"}).asdict())
    return nodes, edges


def apply_canvas_changes(ctx: session.Draft) -> TemplateSpec:
    """Fold the canvas's latest value (moves, connections, deletions, clicks) into the draft."""
    value = st.session_state.get(WIDGET_KEY)
    if not isinstance(value, dict) or value.get("timestamp") == st.session_state.get(SEEN_KEY):
        return ctx.spec
    st.session_state[SEEN_KEY] = value.get("timestamp")
    pushed = st.session_state.get(STATE_KEY)
    reported = {str(n.get("id")) for n in value.get("nodes", []) if isinstance(n, dict)}
    if pushed is not None and int(value.get("timestamp") or 0) < pushed.timestamp:
        # Sent before the canvas got the draft's latest change: stale, but a click on a
        # node still means that agent while the agents are the same ones.
        picked = value.get("selectedId")
        if isinstance(picked, str) and picked in reported and reported == {
                node_id(i) for i in range(len(ctx.spec.agents))}:
            session.select(int(picked[1:]))
        return ctx.spec
    if (pushed is not None and reported == st.session_state.get(EARLIER_KEY)
            and reported != {n.id for n in pushed.nodes}):
        # Still the earlier drawing, reported after the latest push was made: the canvas
        # refuses a push older than its own last change, so it kept that drawing (the
        # second agent clicked into a fresh Builder never showed). Taken as deletions, it
        # would undo the change just made; noted as what the canvas shows, the draft is
        # pushed again, newer than this report.
        st.session_state[SHOWN_KEY] = _shown(value.get("nodes", []), value.get("edges", []))
        return ctx.spec
    st.session_state[SHOWN_KEY] = _shown(value.get("nodes", []), value.get("edges", []))
    spec = ctx.spec
    by_id = {node_id(i): a.name for i, a in enumerate(spec.agents)}
    nodes = [n for n in value.get("nodes", []) if isinstance(n, dict)]
    present = {n.get("id") for n in nodes}
    positions = {by_id[n["id"]]: (float(n["position"]["x"]), float(n["position"]["y"]))
                 for n in nodes if n.get("id") in by_id and isinstance(n.get("position"), dict)}
    changed = False
    moved = {name: xy for name, xy in positions.items()
             if (p := spec.layout.get(name)) is None or (round(p.x, 1), round(p.y, 1))
             != (round(xy[0], 1), round(xy[1], 1))}
    if moved:
        spec, changed = draft.set_positions(spec, moved), True
    edges = [e for e in value.get("edges", []) if isinstance(e, dict)]
    kept = {e.get("id") for e in edges}
    # Only what the canvas was shown can have been deleted there: an agent or edge added
    # since the last push is simply not on the canvas yet.
    shown_nodes = {n.id for n in pushed.nodes} if pushed is not None else set()
    shown_edges = {e.id for e in pushed.edges} if pushed is not None else set()
    for k in reversed(range(len(spec.pattern.edges))):
        if f"e{k}" in shown_edges and f"e{k}" not in kept:
            spec, changed = draft.remove_edge(spec, k), True
    for edge in edges:
        eid = str(edge.get("id", ""))
        if eid.startswith(("e", "x")) and eid[1:2].isdigit():
            continue
        source, target = by_id.get(edge.get("source", "")), by_id.get(edge.get("target", ""))
        if source and target:
            spec, changed = draft.add_edge(spec, source, target), True
    removed = [i for i in range(len(ctx.spec.agents))
               if node_id(i) in shown_nodes and node_id(i) not in present]
    if removed and "nodes" in value:
        for index in reversed(removed):
            spec = draft.delete_agent(spec, index)
        changed = True
    picked = value.get("selectedId")
    if isinstance(picked, str) and picked in by_id and not removed:
        session.select(int(picked[1:]))
    if changed:
        session.commit(ctx.svc, spec, reset_forms=bool(removed))
        if removed:
            session.select(None)
    return spec


def _reported_at() -> int:
    """The browser's time of the canvas's last report (0: none yet)."""
    try:
        return int(st.session_state.get(SEEN_KEY) or 0)
    except (TypeError, ValueError):
        return 0


def _shown(nodes: list[Any], edges: list[Any]) -> tuple[list[str], list[tuple[str, str]]]:
    return (sorted(str(n.get("id")) for n in nodes if isinstance(n, dict)),
            sorted((str(e.get("id")), str(e.get("label") or "")) for e in edges
                   if isinstance(e, dict)))


def render_canvas(ctx: session.Draft) -> None:
    """Draw the canvas; push the draft to it only when what it shows has changed."""
    nodes, edges = flow_elements(ctx.spec, ctx.problems, session.selected(ctx.spec))
    signature = json.dumps([nodes, edges], sort_keys=True)
    # The canvas refuses a push older than its own last change; when what it reports
    # showing differs from the draft, push again so it catches up.
    shown = st.session_state.pop(SHOWN_KEY, None)
    lagging = shown is not None and shown != _shown(nodes, edges)
    if (lagging or st.session_state.get(SIGNATURE_KEY) != signature
            or STATE_KEY not in st.session_state):
        st.session_state[SIGNATURE_KEY] = signature
        earlier = st.session_state.get(STATE_KEY)
        st.session_state[EARLIER_KEY] = ({n.id for n in earlier.nodes} if earlier is not None
                                         else None)
        st.session_state[STATE_KEY] = StreamlitFlowState(
            [StreamlitFlowNode.from_dict(n) for n in nodes],
            [StreamlitFlowEdge.from_dict(e) for e in edges],
            # newer than the canvas's last report (its own clock): it takes the push
            timestamp=max(int(time.time() * 1000), _reported_at() + 1))
    streamlit_flow(WIDGET_KEY, st.session_state[STATE_KEY], height=HEIGHT, fit_view=False, show_controls=True,
                   allow_new_edges=True, get_node_on_click=True, enable_node_menu=True,
                   enable_edge_menu=True, allow_zoom=True, min_zoom=0.4, hide_watermark=True,
                   style={"background": "#fafafa", "border": "1px solid #e6e6e6",
                          "borderRadius": "8px"})
    st.caption(_EDGE_HELP[ctx.spec.pattern.kind] + " Drag from a node's right dot to another "
               "node's left dot to connect; right-click a node or arrow to delete it; click a "
               "node to edit it.")


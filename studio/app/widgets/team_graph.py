"""The live graph of the team (streamlit-agraph): who is speaking, messages per edge."""

from __future__ import annotations

import json

import streamlit as st

from studio.spec import TemplateSpec

from .._transcript import Transcript
from ._look import look_for

try:  # the component with a key keeps one iframe and only updates its data
    from streamlit_agraph import _agraph as _component
except ImportError:  # pragma: no cover - older streamlit-agraph
    _component = None


ENDED = frozenset({"finished", "failed", "cancelled", "interrupted"})


def graph_data(spec: TemplateSpec, tx: Transcript) -> tuple[list[dict], list[dict]]:
    """Nodes and edges as vis.js dicts: the template's edges plus those people used."""
    names = spec.agent_names
    humans = {a.name for a in spec.agents if a.kind.is_proxy}
    nodes = []
    for name in names:
        look = look_for(name, names, human=name in humans)
        speaking = name == tx.speaker
        nodes.append({
            "id": name, "label": f"{look.avatar} {name}", "title": spec.agent(name).description or name,
            "shape": "dot", "size": 30 if speaking else 18,
            "color": {"background": look.hex if speaking else "#ffffff", "border": look.hex},
            "borderWidth": 5 if speaking else 2,
            "font": {"size": 18 if speaking else 15, "color": "#111111" if speaking else "#444444"},
        })
    known = set(names)
    pairs: dict[tuple[str, str], int] = {(e.source, e.target): 0 for e in spec.pattern.edges}
    for agent in spec.agents:
        for nested in agent.nested_chats:
            pairs.setdefault((agent.name, nested.recipient), 0)
    for pair, count in tx.edge_counts.items():
        if pair[0] in known and pair[1] in known:
            pairs[pair] = pairs.get(pair, 0) + count
    edges = []
    for (source, target), count in pairs.items():
        if source not in known or target not in known:
            continue
        edges.append({"from": source, "to": target, "label": str(count) if count else "",
                      "color": "#888888" if count else "#cccccc", "width": 1 + min(count, 6) * 0.6,
                      "font": {"size": 14, "strokeWidth": 3}, "smooth": {"type": "curvedCW",
                                                                        "roundness": 0.15}})
    return nodes, edges


def graph_options(height: int, physics: bool) -> dict:
    """vis-network options, exactly as vis-network spells them (it logs a browser console
    error for every option it does not know, on every redraw): sizes are CSS strings,
    arrows are edge options, the layout is not hierarchical."""
    return {"height": f"{int(height)}px", "width": "300px", "physics": {"enabled": physics},
            "layout": {"hierarchical": {"enabled": False}},
            "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.7}}},
            "interaction": {"dragNodes": True, "zoomView": False}}


def team_graph(spec: TemplateSpec, tx: Transcript, *, key: str, height: int = 360,
               status: str = "") -> None:
    nodes, edges = graph_data(spec, tx)
    positions = {n: (p.x, p.y) for n, p in spec.layout.items()}
    physics = not (len(positions) == len(nodes) and nodes)
    if not physics:
        xs = [x for x, _ in positions.values()]
        ys = [y for _, y in positions.values()]
        span = max(max(xs) - min(xs), (max(ys) - min(ys)) * 1.3, 1.0)
        for node in nodes:  # fit the canvas layout into the box, keeping its shape
            x, y = positions[node["id"]]
            # 180 wide in a 300 px box leaves room for a big "speaking" dot and its label
            node["x"] = (x - (min(xs) + max(xs)) / 2) / span * 180
            node["y"] = (y - (min(ys) + max(ys)) / 2) / span * 180
        # a flat team (two agents side by side) needs no tall, empty box
        height = int(min(height, max(200, (max(ys) - min(ys)) / span * 180 + 150)))
    config = graph_options(height, physics)
    data = json.dumps({"nodes": nodes, "edges": edges})
    if _component is not None:
        _component(data=data, config=json.dumps(config), key=key, default=None)
    else:  # pragma: no cover
        from streamlit_agraph import Config, Edge, Node, agraph

        agraph([Node(**n) for n in nodes], [Edge(source=e["from"], target=e["to"], **{
            k: v for k, v in e.items() if k not in ("from", "to")}) for e in edges],
            Config(height=height, width=300, physics=physics))
    ended = getattr(tx, "finished", False) or status in ENDED
    if ended:
        speaking = f"**{tx.speaker}** spoke last" if tx.speaker else "No messages"
        if status == "interrupted":
            speaking = "**Interrupted**: the server stopped" + (
                f"; **{tx.speaker}** spoke last" if tx.speaker else "")
    elif status == "waiting":
        speaking = "**Your turn**: the team waits for you"
    elif status == "paused":
        speaking = "**Paused**: press Resume to go on"
    else:
        speaking = f"**{tx.speaker}** is speaking" if tx.speaker else "Waiting for the first message"
    # a live caption is hidden by the page if the server goes away (widgets/connection.py)
    with st.container(key=f"run_speaking_{key}" if ended else f"run_live_speaking_{key}"):
        st.caption(f"🗣️ {speaking} · numbers on arrows count messages")

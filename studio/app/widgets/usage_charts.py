"""A run's cost and activity you can look at: its cost (or tokens) adding up message by
message, and who spoke how much, per agent."""

from __future__ import annotations

from typing import Any

import streamlit as st

from .._transcript import Transcript


def activity(tx: Transcript, usage: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The data of the charts: the running total per message, and per-agent figures."""
    running, total_cost, total_tokens = [], 0.0, 0
    for point in tx.timeline:
        total_cost += point["cost"]
        total_tokens += point["tokens"]
        running.append({"message": point["message"], "cost ($)": round(total_cost, 6),
                        "tokens": total_tokens, "agent": point["agent"]})
    agents: dict[str, dict[str, Any]] = {}
    for point in tx.timeline:
        row = agents.setdefault(point["agent"], {"agent": point["agent"], "messages": 0,
                                                 "words": 0, "tokens": 0, "cost ($)": 0.0})
        row["messages"] += 1
        row["words"] += point["words"]
    for name, tally in (usage.get("by_agent") or {}).items():  # model calls, selection included
        row = agents.setdefault(name, {"agent": name, "messages": 0, "words": 0, "tokens": 0,
                                       "cost ($)": 0.0})
        row["tokens"] = int(tally.get("total_tokens", 0) or 0)
        row["cost ($)"] = round(float(tally.get("cost", 0.0) or 0.0), 6)
    return {"running": running, "agents": sorted(agents.values(), key=lambda r: r["agent"])}


def usage_charts(tx: Transcript, usage: dict[str, Any], *, key: str) -> None:
    """Folded under the run: the charts that have something to show (a line of text for
    those that have not), then the table they are drawn from."""
    data = activity(tx, usage)
    if not data["running"] and not data["agents"]:
        return
    costs = any(r["cost ($)"] for r in data["agents"])
    measure = "cost ($)" if costs else "tokens"
    with st.expander("📊 Cost and activity per agent", expanded=False):
        running = data["running"]
        if running and running[-1][measure]:
            st.caption(f"The run's {'cost' if costs else 'tokens'} adding up, message by message"
                       + ("" if costs else _why_no_cost(usage)))
            st.vega_lite_chart(running, _line(running, measure), height=180,
                               key=f"usage_running_{key}")
        elif running:
            st.caption("No tokens counted for this run's messages yet, so nothing adds up.")
        spoke = [r for r in data["agents"] if r["messages"]]
        if spoke:
            st.caption("Who spoke how much")
            st.vega_lite_chart(spoke, _bars(spoke, "messages"), height=_tall(spoke),
                               key=f"usage_spoke_{key}")
        used = [r for r in data["agents"] if r[measure]]
        if used:
            st.caption("Who used the model how much" + (" (cost)" if costs else " (tokens)"))
            st.vega_lite_chart(used, _bars(used, measure), height=_tall(used),
                               key=f"usage_used_{key}")
        else:
            st.caption("No agent has used tokens yet.")
        st.dataframe(data["agents"], hide_index=True, width="stretch",
                     key=f"usage_table_{key}")


# Streamlit draws a chart once before handing it its data, so Vega would compute the axes of
# an empty chart (and warn "Infinite extent"): every axis gets its range from the data here.
# Plain Vega-Lite, without the zoom-and-pan binding st.bar_chart adds (Vega-Lite warns that
# a bar's categories cannot be bound that way).
def _line(rows: list[dict[str, Any]], measure: str) -> dict[str, Any]:
    last = rows[-1]["message"]
    return {"mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {
                "x": {"field": "message", "type": "quantitative", "title": "message",
                      "scale": {"domain": [1, max(last, 2)]}, "axis": {"tickMinStep": 1}},
                "y": {"field": measure, "type": "quantitative", "title": measure,
                      "scale": {"domain": [0, _top(r[measure] for r in rows)]}}}}


def _bars(rows: list[dict[str, Any]], measure: str) -> dict[str, Any]:
    return {"mark": {"type": "bar", "tooltip": True},
            "encoding": {
                "y": {"field": "agent", "type": "nominal", "title": None, "sort": None},
                "x": {"field": measure, "type": "quantitative", "title": measure,
                      "scale": {"domain": [0, _top(r[measure] for r in rows)]},
                      "axis": {"tickMinStep": 1} if measure != "cost ($)" else {}}}}


def _tall(rows: list[dict[str, Any]]) -> int:
    """A bar chart's height in pixels: room for every agent's name, and the axis below."""
    return 26 * len(rows) + 56


def _top(values: Any) -> float:
    """The end of an axis: the largest value (an axis needs a length)."""
    return max([float(v) for v in values] + [0.0]) or 1.0


_FREE = {"demo": "the Demo model", "local": "the Local model"}  # they run here, at no cost


def _why_no_cost(usage: dict[str, Any]) -> str:
    models = set(usage.get("by_model") or {})
    if models and models <= set(_FREE):
        return f" ({' and '.join(_FREE[m] for m in sorted(models))} costs nothing)"
    return " (this model is free, or its price is unknown: set one on the Models page)"

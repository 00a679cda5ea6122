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
    """Folded under the run: the charts, then the table they are drawn from."""
    data = activity(tx, usage)
    if not data["running"] and not data["agents"]:
        return
    costs = any(r["cost ($)"] for r in data["agents"])
    with st.expander("📊 Cost and activity per agent", expanded=False):
        measure = "cost ($)" if costs else "tokens"
        if data["running"]:
            st.caption(f"The run's {'cost' if costs else 'tokens'} adding up, message by message"
                       + ("" if costs else " (this model is free, or its price is unknown: set "
                                           "one on the Models page)"))
            st.line_chart(data["running"], x="message", y=measure, height=180)
        st.caption("Who spoke how much")
        st.bar_chart(data["agents"], x="agent", y=["messages"], height=180, horizontal=True)
        st.bar_chart(data["agents"], x="agent", y=measure, height=180, horizontal=True)
        st.dataframe(data["agents"], hide_index=True, width="stretch",
                     key=f"usage_table_{key}")

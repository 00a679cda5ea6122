"""The live graph of the team: who is speaking, how many messages went along each edge."""

from __future__ import annotations

import streamlit as st

from studio.spec import TemplateSpec

from .._transcript import Transcript
from .live_graph import live_team_svg

ENDED = frozenset({"finished", "failed", "cancelled", "interrupted"})


def team_graph(spec: TemplateSpec, tx: Transcript, *, key: str, height: int = 360,
               status: str = "") -> None:
    """The team drawn with the page (inline SVG: there from the first second), the agent
    speaking ringed, then a caption saying who speaks or what the run waits for."""
    ended = getattr(tx, "finished", False) or status in ENDED
    speaking = tx.speaker if not ended and status not in ("waiting", "paused") else ""
    with st.container(key=f"run_graph_{key}"):
        st.markdown(live_team_svg(spec, tx, speaking=speaking), unsafe_allow_html=True)
    ended = getattr(tx, "finished", False) or status in ENDED
    if ended:
        speaking = f"**{tx.speaker}** spoke last" if tx.speaker else "No messages"
        if status == "interrupted":
            speaking = "**Interrupted**" + (
                f": **{tx.speaker}** spoke last" if tx.speaker else ": no one spoke")
    elif status == "waiting":
        speaking = "**Your turn**: the team waits for you"
    elif status == "paused":
        speaking = "**Paused**: press Resume to go on"
    else:
        speaking = f"**{tx.speaker}** is speaking" if tx.speaker else "Waiting for the first message"
    # a live caption is hidden by the page if the server goes away (widgets/connection.py)
    with st.container(key=f"run_speaking_{key}" if ended else f"run_live_speaking_{key}"):
        st.caption(f"🗣️ {speaking} · numbers on arrows count messages")

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
    speaking ringed (still, on the one who spoke last, once the run stands still), then a
    caption saying who speaks or what the run waits for.

    A message the person stepped in with is not drawn: the person is not one of the team
    the graph shows (a node of their own would move the others mid-run and add arrows the
    pattern does not have). The caption counts it, and the agent who speaks after it is
    counted after the one who spoke before it."""
    ended = getattr(tx, "finished", False) or status in ENDED
    held = status == "paused" and tx.engine_paused  # not while the message goes on
    live = not ended and status != "waiting" and not held
    speaker = "" if tx.stepped_in_last else tx.speaker  # the person is not on the graph
    with st.container(key=f"run_graph_{key}"):
        st.markdown(live_team_svg(spec, tx, speaking=speaker, live=live),
                    unsafe_allow_html=True)
    who = "**You** (stepping in)" if tx.stepped_in_last else f"**{tx.speaker}**"
    if ended:
        speaking = f"{who} spoke last" if tx.speaker else "No messages"
        if status == "interrupted":
            speaking = "**Interrupted**" + (f": {who} spoke last" if tx.speaker
                                            else ": no one spoke")
    elif status == "waiting":
        speaking = "**Your turn**: the team waits for you"
    elif held:
        after = (" after your message" if tx.stepped_in_last
                 else f" after **{tx.speaker}**" if tx.speaker else "")
        speaking = f"**Paused**{after}: press Resume to go on"
    elif tx.stepped_in_last:
        speaking = "**You** stepped in: the team reads it before the next turn"
    else:
        speaking = f"{who} is speaking" if tx.speaker else "Waiting for the first message"
        if status == "paused":
            speaking += ", then the run pauses"
    stepped = (f" · ✋ you stepped in {tx.stepped_in}×" if tx.stepped_in else "")
    # a live caption is hidden by the page if the server goes away (widgets/connection.py)
    with st.container(key=f"run_speaking_{key}" if ended else f"run_live_speaking_{key}"):
        st.caption(f"🗣️ {speaking}{stepped} · numbers on arrows count messages")

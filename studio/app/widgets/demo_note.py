"""What the Demo model is, said where it matters: a banner on Demo runs, and its pace."""

from __future__ import annotations

import streamlit as st

from studio.runs import DEMO_PACE
from studio.store import Store

from .._launch import MY_PACE, current_pace

BANNER = ("**Demo model: a scripted rehearsal, not an AI.** Connect a model on the "
          "[Models page](/models) for real answers.")
_PACES = {"readable": "Readable", "instant": "Instant"}
_PACE_HELP = ("How fast the Demo model's messages appear. Readable: words stream in, each "
              "message over 1.2 to 1.5 seconds, so an audience can follow and step in. Instant: "
              "each message appears at once.")


def demo_banner(*, key: str, store: Store | None = None) -> None:
    """The honest label of a Demo run, with the way to a real model (and, given the
    ``store``, the pace control beside it)."""
    with st.container(key=f"demo_banner_{key}"):
        if store is None:
            st.info(BANNER, icon="🎭")
            return
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.info(BANNER, icon="🎭")
        with right:
            pace_control(store)


def _pace_changed(store: Store, key: str) -> None:
    from studio.app._auth import current_actor

    value = st.session_state.get(key)
    if value in _PACES:
        actor = current_actor()
        if actor.is_admin:
            store.set_setting(actor, DEMO_PACE, value)
        else:  # members choose for themselves, in this browser session
            st.session_state[MY_PACE] = value


def pace_control(store: Store, *, key: str = "demo_pace_choice") -> None:
    """Instant / Readable, saved for the whole studio."""
    st.session_state[key] = current_pace(store)
    st.segmented_control("Demo pace", list(_PACES), key=key, format_func=_PACES.__getitem__,
                         selection_mode="single", on_change=_pace_changed, args=(store, key),
                         help=_PACE_HELP)

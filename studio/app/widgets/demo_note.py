"""What the Demo model is, said where it matters: a banner on Demo runs, and its pace."""

from __future__ import annotations

import streamlit as st

from studio.runs import DEMO_PACE
from studio.store import Store

from .._launch import current_pace

BANNER = ("**Demo model: a scripted rehearsal, not an AI.** Connect a model on the Models "
          "page for real answers.")
_PACES = {"readable": "Readable", "instant": "Instant"}
_PACE_HELP = ("How fast the Demo model's messages appear. Readable: words stream in, each "
              "message within about a second and a half, so an audience can follow. Instant: "
              "each message appears at once.")


def demo_banner(*, key: str, store: Store | None = None) -> None:
    """The honest label of a Demo run, with the way to a real model (and, given the
    ``store``, the pace control beside it)."""
    with st.container(key=f"demo_banner_{key}"):
        left, right = st.columns([4, 1] if store is None else [3, 1], vertical_alignment="center")
        left.info(BANNER, icon="🎭")
        with right:
            if store is not None:
                pace_control(store)
            st.page_link("views/models.py", label="Models page", icon="🧠")


def _pace_changed(store: Store, key: str) -> None:
    value = st.session_state.get(key)
    if value in _PACES:
        store.set_setting(DEMO_PACE, value)


def pace_control(store: Store, *, key: str = "demo_pace_choice") -> None:
    """Instant / Readable, saved for the whole studio."""
    st.session_state[key] = current_pace(store)
    st.segmented_control("Demo pace", list(_PACES), key=key, format_func=_PACES.get,
                         selection_mode="single", on_change=_pace_changed, args=(store, key),
                         help=_PACE_HELP)

"""Starting a run from any page with one click: the model chosen in the Playground (the
Demo model until someone picks another) and the studio's Demo pace."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from studio.runs import demo_pace
from studio.spec import TemplateSpec
from studio.store import Store

from ._auth import current_actor
from ._catalog import DEMO
from ._services import Services

MODEL_KEY = "pg_model"  # the Playground's model choice, remembered for the session
# A run started from the Gallery, to open in the Playground, and the Gallery's visit it was
# started on: (run id or "" for the Playground without a run, visit). Kept until the
# Playground has shown it: a switch of page can be lost to a rerun asked for at the same
# moment (the second click of a double click), and the Gallery's next run on that visit
# switches again.
OPEN_RUN = "gallery_open_run"
ERROR_KEY = "launch_error"
PACES = ("readable", "instant")


def default_pace() -> str:
    """Readable unless ROUNDTABLE_DEMO_PACE says otherwise (tests run instant)."""
    value = os.environ.get("ROUNDTABLE_DEMO_PACE", "").strip().lower()
    return value if value in PACES else "readable"


MY_PACE = "demo_pace_mine"  # a member's own choice (the studio's setting is the admin's)


def current_pace(store: Store) -> str:
    mine = st.session_state.get(MY_PACE)
    return mine if mine in PACES else demo_pace(store, default_pace())


def chosen_model() -> str:
    return str(st.session_state.get(MODEL_KEY) or DEMO)


def launch(svc: Services, spec: TemplateSpec, task: str, *, template_name: str,
           model: str | None = None, what: str = "The run could not start") -> str | None:
    """Start a run and return its id; on failure keep the error for :func:`show_launch_error`
    (callbacks cannot draw where the person is looking) and return None."""
    model = chosen_model() if model is None else model
    try:
        return svc.manager.start(current_actor(), spec, task, template_name=template_name,
                                 model=None if model == "template" else model,
                                 demo_pace=current_pace(svc.store))
    except Exception as exc:  # noqa: BLE001 - shown to the person with what to do
        st.session_state[ERROR_KEY] = (exc, what)
        return None


def show_launch_error() -> None:
    from ._guard import show_error

    failed: Any = st.session_state.pop(ERROR_KEY, None)
    if failed:
        exc, what = failed
        show_error(exc, what=what)

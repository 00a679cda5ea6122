"""The studio's web server, what ``roundtable ui`` starts: Streamlit serving ``main.py``,
plus the HTTP route Streamlit has no element for, the session cookie
(:mod:`studio.app._session_cookie`)."""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import studio  # noqa: F401
except ModuleNotFoundError:  # started from a checkout: `streamlit run studio/app/server.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from studio.app._services import services
from studio.app._session_cookie import session_routes

app = st.App(Path(__file__).resolve().with_name("main.py"),
             routes=session_routes(lambda: services().store,
                                   base=str(st.get_option("server.baseUrlPath") or "")))

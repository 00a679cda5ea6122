"""Errors reach people as a friendly message, with the details folded away."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from studio.runs import RunError
from studio.spec import SpecError
from studio.store import Forbidden, StoreError


def explain(exc: BaseException) -> str:
    """One sentence saying what went wrong and what to do."""
    if isinstance(exc, SpecError):
        lines = "\n".join(f"- {p}" for p in exc.problems[:8])
        return f"The template has problems; fix them and try again:\n{lines}"
    if isinstance(exc, Forbidden):
        return f"Not allowed: {exc}."
    if isinstance(exc, StoreError):
        return f"The studio's database reported a problem: {exc}"
    if isinstance(exc, RunError):  # says what to do already (a budget, a run that ended...)
        return str(exc)
    if isinstance(exc, ModuleNotFoundError):
        return (f"A part of the studio is missing ({exc.name}). Reinstall it with "
                "`pip install roundtable-studio` and restart `roundtable ui`.")
    text = str(exc) or exc.__class__.__name__
    return f"Something went wrong: {text}"


def show_error(exc: BaseException, *, what: str) -> None:
    st.error(f"**{what}.** {explain(exc)}", icon="⚠️")
    with st.expander("Details (for a bug report)"):
        st.code("".join(traceback.format_exception(exc)), language="text")


@contextmanager
def page_guard(page: str) -> Iterator[None]:
    """Wrap a page body: an exception shows a friendly message, never a bare traceback.

    Streamlit's own control flow (rerun, stop, switch page) derives from BaseException
    and passes through.
    """
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - the page must show every failure kindly
        show_error(exc, what=f"The {page} page could not be shown")


_PAGE = "page_now"  # the URL path of the page this session is on
_VISIT = "page_visit"  # how many times the session has gone to another page


def note_page(url_path: str) -> None:
    """Count a move to another page (called by the app before each page run)."""
    if st.session_state.get(_PAGE) != url_path:
        st.session_state[_PAGE] = url_path
        st.session_state[_VISIT] = int(st.session_state.get(_VISIT) or 0) + 1


def page_visit() -> int:
    """Which visit of its page this page run belongs to: a notice kept across a page's own
    reruns goes once the person has left the page and come back."""
    return int(st.session_state.get(_VISIT) or 0)

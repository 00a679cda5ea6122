"""Who is using this browser session: the one helper every page asks.

Personal mode (``roundtable ui`` on 127.0.0.1): :func:`current_actor` is
``Actor.local()`` and nothing else changes. Shared mode (``ROUNDTABLE_MODE=shared``, set by
``roundtable ui --shared`` or a non-loopback ``--host``): people sign in; the session token
lives in a cookie (``rt_session``) so a reload keeps them signed in, and it is checked
against the database on every page run (so ending someone's access, or signing out in
another process, takes effect at once). The store and the run manager enforce what each
actor may do; this module only says who is asking.
"""

from __future__ import annotations

import json
import os

import streamlit as st

from studio.app._session_cookie import COOKIE, SESSION_PATH
from studio.store import Actor, SignInError

MODE_ENV = "ROUNDTABLE_MODE"
SHARED = "shared"
_ACTOR = "auth_actor"
_TOKEN = "auth_token"
_COOKIE_OP = "auth_cookie_op"
_SSO = "auth_sso"
NEXT_PAGE = "sign_in_next"  # the title of the page a shared link named (opened once signed in)
ACCESS_ENDED = "Your access to this workshop has ended: ask the administrator."


def shared_mode() -> bool:
    return os.environ.get(MODE_ENV, "").strip().lower() == SHARED


def current_actor() -> Actor:
    """The acting user of this browser session. In shared mode a page can only run once
    :func:`sign_in_state` found someone signed in; anything else stops the page."""
    if not shared_mode():
        return Actor.local()
    actor = st.session_state.get(_ACTOR)
    if not isinstance(actor, Actor):
        st.warning("Sign in first.", icon="🔒")
        st.stop()
    return actor


def sign_in_state(store) -> Actor | None:  # noqa: ANN001 - studio.store.Store
    """Shared mode: the signed-in actor for this page run (the session token checked against
    the database), or None. Personal mode: the local user."""
    if not shared_mode():
        return Actor.local()
    token = st.session_state.get(_TOKEN) or _cookie_token()
    actor = store.session_actor(token) if token else None
    if actor is None and not token and sso_configured():
        return _sso_actor(store)
    if actor is None:
        st.session_state.pop(_ACTOR, None)
        st.session_state.pop(_TOKEN, None)
        if token and store.ended_by_administrator(token):
            # signed in a moment ago (in this tab, or before a reload, by the cookie): say
            # why the sign-in is back, not only on the next try
            st.session_state["sign_in_flash"] = ACCESS_ENDED
        if token:
            st.session_state[_COOKIE_OP] = ("clear", "")
        return None
    st.session_state[_TOKEN] = token
    st.session_state[_ACTOR] = actor
    return actor


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # noqa: BLE001 - no request context (AppTest)
        return None
    return token if isinstance(token, str) else None  # (AppTest: not a request's cookie)


def signed_in(token: str, actor: Actor) -> None:
    """Remember a new sign-in in this session and (through a cookie) across reloads."""
    st.session_state[_TOKEN] = token
    st.session_state[_ACTOR] = actor
    st.session_state[_COOKIE_OP] = ("set", token)


def sign_out(store) -> None:  # noqa: ANN001
    """End the session everywhere (database, cookie, this browser tab), then draw the page
    again; after single sign-on the browser goes on to end the provider's session too."""
    sso = bool(st.session_state.get(_SSO))
    store.end_session(st.session_state.get(_TOKEN))
    for key in list(st.session_state):
        del st.session_state[key]
    st.session_state[_COOKIE_OP] = ("clear", "")
    if sso:
        # Streamlit's own sign-on cookie, and a redirect to the provider's sign-out. Not
        # st.rerun(): a rerun starting before the redirect reached the browser drops it.
        st.logout()
        st.stop()
    st.rerun()


def _sso_actor(store) -> Actor | None:  # noqa: ANN001
    """The account of the person signed in through single sign-on (``st.login``), made on
    their first visit as a member; None when nobody is, or their access has ended."""
    from studio.store import SignInError, actor_of

    user = st.user
    if not user.get("is_logged_in"):
        return None
    try:
        account = store.oidc_account(str(user.get("iss") or ""), str(user.get("sub") or ""),
                                     email=str(user.get("email") or ""),
                                     display_name=str(user.get("name") or ""))
    except SignInError as exc:
        st.session_state["sign_in_flash"] = str(exc)[0].upper() + str(exc)[1:] + "."
        st.session_state.pop(_ACTOR, None)
        return None
    actor = actor_of(account)
    st.session_state[_ACTOR] = actor
    st.session_state[_SSO] = True
    return actor


def cookie_writer(store) -> None:  # noqa: ANN001 - studio.store.Store
    """Have the server set or clear the session cookie (call once per page run). The page
    never holds the session token: it posts a single-use ticket to the server, which answers
    with an ``HttpOnly`` cookie (:mod:`studio.app._session_cookie`). The same tiny script is
    drawn on every run, so Streamlit never reloads its frame."""
    op = st.session_state.get(_COOKIE_OP)
    if not op:
        return
    action, token = op[:2]
    if action == "set" and len(op) < 3:
        try:
            op = st.session_state[_COOKIE_OP] = (action, token, store.cookie_ticket(token))
        except SignInError:  # the session ended meanwhile: the next page run signs them out
            st.session_state.pop(_COOKIE_OP, None)
            return
    base = "/" + str(st.get_option("server.baseUrlPath") or "").strip("/")
    request = {"url": base.rstrip("/") + SESSION_PATH,
               "method": "POST" if action == "set" else "DELETE",
               "body": op[2] if action == "set" else None}
    # sent again, a few times, when the network or the server fails it (not when refused)
    script = ("<script>(function(){var r=" + json.dumps(request) + ",n=0;"
              "function again(){if(n++<4)setTimeout(send,400*n);}"
              "function send(){window.parent.fetch(r.url,{method:r.method,body:r.body,"
              "credentials:'same-origin'}).then(function(a){if(a.status>=500)again();},"
              "again);}send();})();</script>")
    import streamlit.components.v1 as components

    # (st.iframe, its announced successor, does not let the script reach the page)
    components.html(script, height=0)


def sso_configured() -> bool:
    """Whether Streamlit's own OIDC sign-in (``st.login``) was set up for this studio."""
    try:
        return bool(st.secrets.get("auth", {}).get("client_id"))
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False

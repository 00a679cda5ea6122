"""Sign in (shared mode): a user name and password, or the workshop's join code to make
one's own account in one step, or single sign-on when the studio was started with it.

Stable hooks for end-to-end tests: form ``sign_in_form`` (``sign_in_name``,
``sign_in_password``, button "Sign in"); form ``join_form`` (``join_code``, ``join_name``,
``join_display``, ``join_password``, button "Join"); "Sign in with single sign-on"
(``sso_button``) when configured.
"""

from __future__ import annotations

import streamlit as st

from studio.app._auth import NEXT_PAGE, signed_in, sso_configured
from studio.app._guard import page_guard
from studio.app._services import services
from studio.store import SignInError, StoreError, actor_of


def _sign_in(svc) -> None:  # noqa: ANN001 - Services (a form callback)
    state = st.session_state
    try:
        account = svc.store.sign_in(state.get("sign_in_name", ""), state.get("sign_in_password", ""))
    except SignInError as exc:
        state["sign_in_flash"] = str(exc)[0].upper() + str(exc)[1:] + "."
        state["sign_in_password"] = ""
        return
    signed_in(svc.store.start_session(account), actor_of(account))


def _join(svc) -> None:  # noqa: ANN001
    state = st.session_state
    try:
        account = svc.store.join_workshop(state.get("join_code", ""), state.get("join_name", ""),
                                          state.get("join_password", ""),
                                          state.get("join_display", ""))
    except StoreError as exc:
        state["join_flash"] = str(exc)[0].upper() + str(exc)[1:] + "."
        return
    signed_in(svc.store.start_session(account), actor_of(account))


with page_guard("sign-in"):
    svc = services()
    st.title("🪑 Roundtable Studio")
    st.caption("This studio is shared by a workshop: sign in to see your own teams and runs.")
    if st.session_state.get(NEXT_PAGE):
        st.caption(f"Once you are signed in, you go on to the **{st.session_state[NEXT_PAGE]}** "
                   "page.")
    left, right = st.columns(2, gap="large")
    with left.container(border=True):
        st.subheader("Sign in")
        if "sign_in_flash" in st.session_state:
            st.error(st.session_state.pop("sign_in_flash"), icon="🔒")
        with st.form("sign_in_form"):
            st.text_input("User name", key="sign_in_name", autocomplete="username")
            st.text_input("Password", key="sign_in_password", type="password",
                          autocomplete="current-password")
            st.form_submit_button("Sign in", type="primary", on_click=_sign_in, args=(svc,))
        if sso_configured():
            st.button("Sign in with single sign-on", key="sso_button", icon="🏢",
                      on_click=st.login)
    with right.container(border=True):
        st.subheader("New here? Join the workshop")
        st.caption("Type the join code your teacher shows, pick a user name and a password.")
        if "join_flash" in st.session_state:
            st.error(st.session_state.pop("join_flash"), icon="⚠️")
        with st.form("join_form"):
            st.text_input("Join code", key="join_code")
            st.text_input("User name (letters, digits, . _ -)", key="join_name",
                          autocomplete="username")
            st.text_input("Your name as others see it (optional)", key="join_display")
            st.text_input("Password (8 characters or more)", key="join_password",
                          type="password", autocomplete="new-password")
            st.form_submit_button("Join", on_click=_join, args=(svc,))

"""The Workshop's people (administrators only): each person's role and budget, access (end
it, give it back), and the wait after too many wrong passwords, which the administrator
can lift at once (a teacher in front of a class cannot make a student wait 15 minutes).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import streamlit as st

from studio.store import Budget, StoreError


def locked_words(seconds: float) -> str:
    """How long someone still waits, in words that hold in any time zone."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"locked for {minutes} more minute{'s' if minutes != 1 else ''}"


def people(svc, actor, flash: Callable[[str, str], None]) -> None:  # noqa: ANN001
    """Everyone in the workshop: role, budget, access (end it or give it back), and a
    lock-out after wrong passwords, which the administrator can lift."""
    st.subheader("People")
    locks = svc.store.sign_in_locks(actor)
    for account in svc.store.list_accounts(actor):
        # two columns: the People section is half the page, and four columns cut the
        # button's label ("End a…") and the role ("administra-tor") at 1280 px
        who, action = st.columns([3, 2], vertical_alignment="center")
        state = "" if account.active else " · ⛔ access ended"
        who.markdown(f"**{account.label}** (`{account.name}`){state}")
        budget = Budget.from_dict(account.budget)
        limits = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in budget.to_dict().items())
        who.caption(("administrator" if account.role == "admin" else "member") + " · "
                    + (limits or "workshop budget"))
        if account.id != actor.id:
            label = "End access" if account.active else "Give access back"
            if action.button(label, key=f"workshop_access_{account.name}", width="stretch"):
                try:
                    svc.store.set_access(actor, account.id, not account.active)
                    flash("success", f"{label}: {account.label}.")
                except StoreError as exc:
                    flash("error", str(exc))
                st.rerun()
        wait = locks.get(account.name)
        if wait:  # on a line of its own under the person: the columns are narrow
            with st.container(key=f"workshop_locked_{account.name}"):
                st.caption(f"🔒 {account.label} typed too many wrong passwords: "
                           f"{locked_words(wait)}.")
            if st.button("Let them try again now", key=f"workshop_unlock_{account.name}",
                         icon="🔓"):
                try:
                    waited = svc.store.let_try_again(actor, account.id)
                    flash("success", f"{account.label} may try again now." if waited else
                          f"{account.label} no longer had to wait.")
                except StoreError as exc:
                    flash("error", str(exc))
                st.rerun()

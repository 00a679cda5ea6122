"""Shared mode through the whole app (main.py): ending someone's access says why at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio.store import Actor, actor_of

MAIN = Path(__file__).resolve().parents[2] / "studio" / "app" / "main.py"
PASSWORD = "workshop password 1"
ENDED = "Your access to this workshop has ended: ask the administrator."


@pytest.fixture
def shared(monkeypatch: pytest.MonkeyPatch, svc):  # noqa: ANN001, ANN201
    monkeypatch.setenv("ROUNDTABLE_MODE", "shared")
    teacher = actor_of(svc.store.create_account(Actor.local(), "teacher", PASSWORD,
                                                role="admin"))
    svc.store.create_account(teacher, "ann", PASSWORD, display_name="Ann")
    return svc, teacher


def _signed_in(at: AppTest) -> bool:
    return any("Signed in as **Ann**" in c.value for c in at.caption)


def test_a_member_whose_access_ends_is_told_why_on_the_next_page_run(shared) -> None:
    svc, teacher = shared
    at = AppTest.from_file(str(MAIN), default_timeout=30)
    at.run()
    assert ENDED not in [e.body for e in at.error]
    at.text_input(key="sign_in_name").input("ann")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()  # the form's "Sign in"
    assert not at.exception and _signed_in(at)
    at.run()
    assert _signed_in(at)
    svc.store.set_access(teacher, "ann", False)
    at.run()  # her next click
    assert not at.exception and not _signed_in(at)
    assert [e.body for e in at.error] == [ENDED]
    at.run()  # said once, not stuck on the page
    assert ENDED not in [e.body for e in at.error]


def test_signing_out_or_a_wrong_password_does_not_claim_access_ended(shared) -> None:
    at = AppTest.from_file(str(MAIN), default_timeout=30)
    at.run()
    at.text_input(key="sign_in_name").input("ann")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    assert _signed_in(at)
    at.button(key="sign_out").click().run()
    assert not _signed_in(at)
    assert not [e.body for e in at.error]

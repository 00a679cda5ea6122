"""Shared mode through the whole app (main.py): ending someone's access says why at once;
on the Workshop page, a member locked out by wrong passwords shows as locked (the wait in
words) and the teacher lets them try again at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from studio.app.widgets.workshop_people import locked_words
from studio.store import Actor, SignInError, TooManyAttempts, actor_of

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


def test_a_locked_out_member_shows_as_locked_and_the_teacher_lets_them_try_again(
        shared) -> None:
    svc, teacher = shared
    svc.store.create_account(teacher, "bob", PASSWORD, display_name="Bob")
    for _ in range(5):
        with pytest.raises(SignInError):
            svc.store.sign_in("bob", "not the password")
    with pytest.raises(TooManyAttempts):
        svc.store.sign_in("bob", PASSWORD)
    at = AppTest.from_file(str(MAIN), default_timeout=30)
    at.run()
    at.text_input(key="sign_in_name").input("teacher")
    at.text_input(key="sign_in_password").input(PASSWORD)
    at.button[0].click().run()
    at.switch_page("views/workshop.py").run()
    assert not at.exception

    def locked() -> list[str]:
        return [c.value for c in at.caption if "too many wrong passwords" in c.value]

    assert len(locked()) == 1 and re.fullmatch(
        r"🔒 Bob typed too many wrong passwords: locked for \d+ more minutes?\.",
        locked()[0]), locked()
    assert [b.key for b in at.button if b.key.startswith("workshop_unlock_")] == [
        "workshop_unlock_bob"], "only Bob is locked; Ann is not"
    at.button(key="workshop_unlock_bob").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Bob may try again now."]
    assert not locked() and not [b for b in at.button if b.key.startswith("workshop_unlock_")]
    assert svc.store.sign_in("bob", PASSWORD).name == "bob"


def test_the_wait_in_words_holds_in_any_time_zone() -> None:
    assert locked_words(15 * 60) == "locked for 15 more minutes"
    assert locked_words(11 * 60 + 1) == "locked for 12 more minutes"
    assert locked_words(61) == "locked for 2 more minutes"
    assert locked_words(60) == "locked for 1 more minute"
    assert locked_words(0.5) == "locked for 1 more minute"

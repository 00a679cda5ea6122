"""Accounts, ownership and secrets in the store, on SQLite and PostgreSQL: what one member
makes, another cannot list, open, change or delete; administrators see everything."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.store import (
    Actor,
    Budget,
    Forbidden,
    ModelConfig,
    NotFound,
    SignInError,
    Store,
    StoreError,
    TooManyAttempts,
    actor_of,
)

LOCAL = Actor.local()
KEY = "sk-class-key-0123456789abcdefWXYZ"
PASSWORD = "correct horse battery"


@pytest.fixture
def people(store: Store) -> tuple[Actor, Actor, Actor]:
    admin = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    a = actor_of(store.create_account(admin, "ann", PASSWORD, display_name="Ann"))
    b = actor_of(store.create_account(admin, "bob", PASSWORD))
    return admin, a, b


def test_runs_templates_models_tools_drafts_are_private(store: Store, people) -> None:
    admin, a, b = people
    run_id = store.create_run(a, "Essay", {"agents": []}, "Write")
    store.save_template(a, "Essay", {"agents": ["a"]})
    store.save_model_config(a, ModelConfig(name="mine", model="m", base_url="http://x:1/v1"))
    store.set_secret(a, "mine-key", KEY, base_url="http://x:1/v1")
    store.save_tool(a, "shout", "def shout(t: str) -> str:\n    return t\n")
    store.save_draft(a, {"name": "A's draft"}, None)

    # B: by listing...
    assert store.list_runs(b) == [] and store.count_runs(b) == 0
    assert store.list_templates(b) == []
    assert store.list_model_configs(b) == [] and store.list_secrets(b) == []
    assert store.list_tools(b) == [] and store.get_draft(b) is None
    # ...and by direct id or name
    for call in (lambda: store.get_run(b, run_id), lambda: store.run_events(b, run_id),
                 lambda: store.export_run(b, run_id), lambda: store.delete_run(b, run_id),
                 lambda: store.get_template(b, "Essay"), lambda: store.delete_template(b, "Essay"),
                 lambda: store.get_model_config(b, "mine"),
                 lambda: store.delete_model_config(b, "mine"),
                 lambda: store.secret_for_use(b, "mine-key", "http://x:1/v1"),
                 lambda: store.get_tool(b, "shout")):
        with pytest.raises(NotFound):
            call()
    # A sees their own; the administrator sees everyone's
    assert [r.id for r in store.list_runs(a)] == [run_id]
    assert [r.id for r in store.list_runs(admin)] == [run_id]
    assert store.get_run(admin, run_id).owner_id == a.id
    assert [t.owner_name for t in store.list_templates(admin)] == ["Ann"]
    assert store.get_draft(a) == ({"name": "A's draft"}, None)
    # names are per person: B has an "Essay" of their own
    store.save_template(b, "Essay", {"agents": ["b"]})
    assert store.get_template(b, "Essay").document == {"agents": ["b"]}
    assert store.get_template(a, "Essay").document == {"agents": ["a"]}
    assert store.usage_since(a, 0) == (0, 0.0)


def test_a_shared_template_is_read_only_for_others(store: Store, people) -> None:
    admin, a, b = people
    store.save_template(a, "Debate", {"agents": ["pro", "con"]})
    with pytest.raises(NotFound):
        store.share_template(b, "Debate")
    info = store.share_template(a, "Debate")
    assert info.shared and info.owner_name == "Ann"
    (seen,) = store.list_templates(b)
    assert (seen.name, seen.owner_name, seen.shared) == ("Debate", "Ann", True)
    assert store.template_document(b, "Debate", owner_id=a.id) == {"agents": ["pro", "con"]}
    for change in (lambda: store.delete_template(b, "Debate"),
                   lambda: store.rename_template(b, "Debate", "Mine now"),
                   lambda: store.share_template(b, "Debate", False)):
        with pytest.raises(Forbidden, match="duplicate it"):
            change()
    store.duplicate_template(b, "Debate", "My debate")
    assert store.get_template(b, "My debate").document == {"agents": ["pro", "con"]}
    store.share_template(a, "Debate", False)
    assert [t.name for t in store.list_templates(b)] == ["My debate"]


def test_a_shared_model_is_used_but_its_key_never_shown(store: Store, people) -> None:
    admin, a, b = people
    url = "https://api.example.test/v1"
    store.set_secret(admin, "class-key", KEY, base_url=url)
    store.save_model_config(admin, ModelConfig(name="class-gpt", model="gpt", base_url=url,
                                               api_key_secret="class-key", shared=True))
    with pytest.raises(Forbidden, match="administrator"):
        store.save_model_config(a, ModelConfig(name="x", model="m", shared=True))
    (seen,) = store.list_model_configs(b)
    assert seen.name == "class-gpt" and seen.shared
    assert store.list_secrets(b) == []
    assert store.secret_for_use(b, "class-key", url) == KEY  # used where the model is called
    with pytest.raises(Forbidden, match="only be sent to api.example.test:443; it is never "
                                        "sent to evil.test:443"):
        store.secret_for_use(b, "class-key", "https://evil.test/v1")
    with pytest.raises(Forbidden, match="set it up"):
        store.delete_model_config(b, "class-gpt")


def test_server_variables_are_for_administrators_unless_allowed(store: Store, people) -> None:
    admin, a, _ = people
    config = ModelConfig(name="env", model="m", base_url="https://api.openai.com/v1",
                         api_key_env="OPENAI_API_KEY")
    store.save_model_config(admin, config)
    with pytest.raises(Forbidden, match="not offered to members"):
        store.save_model_config(a, config)
    store.set_setting(admin, "allowed_key_env", {"OPENAI_API_KEY": "api.openai.com:443"})
    store.save_model_config(a, config)
    with pytest.raises(Forbidden, match="may only be sent to api.openai.com:443"):
        store.check_key_env(a, "OPENAI_API_KEY", "http://127.0.0.1:9/v1")


def test_settings_accounts_backup_are_for_administrators(store: Store, people) -> None:
    admin, a, _ = people
    for call in (lambda: store.set_setting(a, "allow_unsandboxed_code", True),
                 lambda: store.backup(a), lambda: store.restore(a, {}),
                 lambda: store.list_accounts(a), lambda: store.set_access(a, "bob", False),
                 lambda: store.create_account(a, "eve", PASSWORD),
                 lambda: store.set_budget(a, None, Budget(tokens_per_day=1))):
        with pytest.raises(Forbidden):
            call()
    store.set_setting(admin, "allow_unsandboxed_code", True)
    assert [x.name for x in store.list_accounts(admin)] == ["ann", "bob", "teacher"]


def test_sign_in_sessions_and_ending_access(store: Store, people) -> None:
    admin, a, _ = people
    assert store.has_admin()
    account = store.sign_in(" ANN ", PASSWORD)
    assert account.name == "ann" and account.display_name == "Ann"
    token = store.start_session(account)
    assert store.session_actor(token) == a
    assert store.session_actor("made-up") is None
    with pytest.raises(SignInError, match="wrong user name or password"):
        store.sign_in("ann", "wrong password")
    with pytest.raises(SignInError, match="wrong user name or password"):
        store.sign_in("nobody", PASSWORD)
    store.set_access(admin, "ann", False)
    assert store.session_actor(token) is None, "ending access ends the sessions"
    assert store.ended_by_administrator(token), "and says why, to that session only"
    with pytest.raises(SignInError, match="access to this workshop has ended"):
        store.sign_in("ann", PASSWORD)
    store.set_access(admin, "ann", True)
    assert not store.ended_by_administrator(token)
    token = store.start_session(store.sign_in("ann", PASSWORD))
    store.end_session(token)
    assert store.session_actor(token) is None
    with pytest.raises(StoreError, match="last administrator"):
        store.set_access(admin, "teacher", False)


def test_wrong_passwords_are_rate_limited(store: Store, people) -> None:
    for _ in range(5):
        with pytest.raises(SignInError):
            store.sign_in("bob", "not it at all")
    with pytest.raises(TooManyAttempts, match="try again in 15 minutes"):
        store.sign_in("bob", PASSWORD)  # even the right one, for a while
    assert store.sign_in("ann", PASSWORD).name == "ann"  # others are not affected


def test_an_administrator_lets_a_locked_out_member_try_again_at_once(store: Store,
                                                                      people) -> None:
    """A teacher in front of a class: Bob typed his password wrong five times; the
    Workshop shows him waiting, and the teacher lets him try again now."""
    admin, a, b = people
    assert store.sign_in_locks(admin) == {}
    for _ in range(5):
        with pytest.raises(SignInError):
            store.sign_in("bob", "not it at all")
    for _ in range(5):  # names nobody has are not the Workshop's business
        with pytest.raises(SignInError):
            store.sign_in("zed", "not it at all")
    with pytest.raises(TooManyAttempts):
        store.sign_in("bob", PASSWORD)
    locks = store.sign_in_locks(admin)
    assert list(locks) == ["bob"] and 0 < locks["bob"] <= 15 * 60
    for who in (a, b):  # members may neither see it nor lift it, not even their own
        with pytest.raises(Forbidden):
            store.sign_in_locks(who)
        with pytest.raises(Forbidden):
            store.let_try_again(who, "bob")
    with pytest.raises(NotFound):
        store.let_try_again(admin, "nobody")
    assert store.let_try_again(admin, "BOB") is True
    assert store.sign_in_locks(admin) == {}
    assert store.sign_in("bob", PASSWORD).name == "bob"
    assert store.let_try_again(admin, b.id) is False, "nothing to lift"
    # the count starts again from nothing: four more wrong ones do not lock him
    for _ in range(4):
        with pytest.raises(SignInError):
            store.sign_in("bob", "not it at all")
    assert store.sign_in_locks(admin) == {}
    with pytest.raises(TooManyAttempts):
        store.sign_in("zed", "not it at all")  # the others' waits are untouched


def test_an_ended_session_says_why_until_access_comes_back(store: Store, people) -> None:
    """The cookie of someone whose access ended signs nobody in, but a reload can tell
    them why; a sign-out, a wrong token or access given back do not claim it."""
    admin, a, _ = people
    page = store.start_session(store.sign_in("ann", PASSWORD))
    cookie = store.redeem_cookie_ticket(store.cookie_ticket(page))
    ticket = store.cookie_ticket(page)
    signed_out = store.start_session(store.sign_in("ann", PASSWORD))
    store.end_session(signed_out)
    other = store.start_session(store.sign_in("teacher", PASSWORD))
    assert not any(store.ended_by_administrator(t)
                   for t in (page, cookie, ticket, signed_out, other, "made-up", "", None))
    store.set_access(admin, "ann", False)
    assert store.session_actor(page) is None and store.session_actor(cookie) is None
    assert store.ended_by_administrator(page) and store.ended_by_administrator(cookie)
    assert not store.ended_by_administrator(ticket), "a ticket was never a session"
    assert store.redeem_cookie_ticket(ticket) is None
    assert not store.ended_by_administrator(signed_out)
    assert not store.ended_by_administrator(other) and store.session_actor(other) == admin
    with pytest.raises(SignInError, match="session has ended"):
        store.cookie_ticket(cookie)
    store.end_session(cookie)  # the page clears the cookie once it has said why
    assert not store.ended_by_administrator(cookie) and not store.ended_by_administrator(page)
    again = store.start_session(store.sign_in("teacher", PASSWORD))
    store.set_access(admin, "teacher", True)  # (changes nothing for others)
    assert store.session_actor(again) == admin
    kept = store.start_session(store.sign_in("bob", PASSWORD))
    store.set_access(admin, "bob", False)
    assert store.ended_by_administrator(kept)
    store.set_access(admin, "bob", True)
    assert not store.ended_by_administrator(kept), "access is back: nothing ended"
    assert store.session_actor(kept) is None, "giving access back revives no old session"


def test_joining_with_the_code(store: Store, people) -> None:
    admin, _, _ = people
    with pytest.raises(SignInError, match="joining is closed"):
        store.join_workshop("ABCD", "carl", PASSWORD)
    code = store.new_join_code(admin)
    with pytest.raises(SignInError, match="not this workshop's"):
        store.join_workshop("WRONG123", "carl", PASSWORD)
    with pytest.raises(StoreError, match="at least 8"):
        store.join_workshop(code, "carl", "short")
    carl = store.join_workshop(code.lower(), "Carl", PASSWORD, "Carl C.")
    assert (carl.name, carl.role, carl.display_name) == ("carl", "member", "Carl C.")
    with pytest.raises(StoreError, match="already exists"):
        store.join_workshop(code, "carl", PASSWORD)


def test_budgets_per_member_over_the_workshop_default(store: Store, people) -> None:
    admin, a, b = people
    store.set_budget(admin, None, Budget(tokens_per_day=1000, concurrent_runs=2))
    store.set_budget(admin, "ann", Budget(tokens_per_day=50))
    assert store.budget_for(a) == Budget(tokens_per_day=50, concurrent_runs=2)
    assert store.budget_for(b) == Budget(tokens_per_day=1000, concurrent_runs=2)
    assert store.budget_for(admin) == Budget() and store.budget_for(LOCAL) == Budget()


def test_single_sign_on_accounts_are_members(store: Store, people) -> None:
    first = store.oidc_account("http://idp", "sub-1", email="Ann@Example.org")
    again = store.oidc_account("http://idp", "sub-1", email="changed@example.org")
    assert first == again and first.role == "member" and first.sso
    other = store.oidc_account("http://idp", "sub-2", email="ann@example.org")
    assert other.name == "ann@example.org-2"


def test_keys_are_encrypted_at_rest_and_never_backed_up(store: Store, store_url: str,
                                                         tmp_path: Path) -> None:
    store.set_secret(LOCAL, "openai", KEY)
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT value FROM secret").scalar()
    assert KEY not in raw and raw.startswith("gAAAA")
    assert KEY not in json.dumps(store.backup(LOCAL), default=str)
    store.checkpoint()
    if store_url.startswith("sqlite:///"):
        db = Path(store_url[len("sqlite:///"):])
        assert (db.parent / "secret.key").stat().st_mode & 0o777 == 0o600
        for path in db.parent.iterdir():
            assert KEY.encode() not in path.read_bytes(), path


def test_a_lost_key_file_says_what_to_do(sqlite_url: str, tmp_path: Path) -> None:
    store = Store.open(sqlite_url)
    store.set_secret(LOCAL, "openai", KEY)
    store.close()
    (Path(sqlite_url[len("sqlite:///"):]).parent / "secret.key").unlink()
    reopened = Store.open(sqlite_url)
    with pytest.raises(StoreError, match="cannot be decrypted .* Save the key again"):
        reopened.secret_for_use(LOCAL, "openai", None)
    assert reopened.list_secrets(LOCAL)[0].preview == "(unreadable: save it again)"


def test_a_cookie_ticket_is_traded_once_for_a_session_of_the_same_person(
        store: Store, store_url: str, people) -> None:
    """What keeps a person signed in across reloads: the page gets a ticket, never the
    token; the web server trades the ticket, once, for a session of the same person."""
    admin, a, _ = people
    token = store.start_session(store.sign_in("ann", PASSWORD))
    ticket = store.cookie_ticket(token)
    assert store.session_actor(ticket) is None, "a ticket is not a session"
    other = Store.open(store_url)  # another studio process behind the same proxy
    try:
        cookie = other.redeem_cookie_ticket(ticket)
    finally:
        other.close()
    assert cookie is not None and cookie != token
    assert store.session_actor(cookie) == a
    assert store.redeem_cookie_ticket(ticket) is None, "a ticket works once"
    assert store.redeem_cookie_ticket("made-up") is None
    assert store.redeem_cookie_ticket("") is None
    assert store.redeem_cookie_ticket(store.cookie_ticket(token, seconds=-1)) is None, \
        "an expired ticket is refused"
    # one sign-in: signing out of the page's session ends the cookie's, and the other way
    for ending in ("page", "cookie"):
        page = store.start_session(store.sign_in("ann", PASSWORD))
        unused = store.cookie_ticket(page)
        kept = store.redeem_cookie_ticket(store.cookie_ticket(page))
        assert kept is not None and store.session_actor(kept) == a
        store.end_session(page if ending == "page" else kept)
        assert store.session_actor(page) is None and store.session_actor(kept) is None, ending
        assert store.redeem_cookie_ticket(unused) is None, ending
    assert store.session_actor(cookie) == a, "another sign-in of the same person goes on"
    late = store.cookie_ticket(token)
    store.set_access(admin, "ann", False)
    assert store.redeem_cookie_ticket(late) is None, "ending access ends the tickets too"
    with pytest.raises(SignInError, match="session has ended"):
        store.cookie_ticket(token)

"""Backup -> restore gives the same data; secrets stay out; bad input changes nothing."""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Result, event
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session

from studio.store import Actor, Budget, ModelConfig, Store, StoreError, actor_of

LOCAL = Actor.local()

KEY = "sk-live-SECRETVALUE-9876"


def _fill(store: Store) -> str:
    store.save_template(LOCAL, "Essay", {"agents": ["a"]}, description="v1", tags=["w"], note="n1")
    store.save_template(LOCAL, "Essay", {"agents": ["a", "b"]}, description="v2")
    store.save_template(LOCAL, "Binned", {"agents": []})
    store.delete_template(LOCAL, "Binned")
    store.set_secret(LOCAL, "openai", KEY)
    store.save_model_config(LOCAL, ModelConfig(name="GPT", model="gpt-4o", api_key_secret="openai"))
    store.save_tool(LOCAL, "add", "def add(a: int, b: int) -> int:\n    return a + b\n", "Adds")
    store.set_setting(LOCAL, "allow_unsandboxed_code", True)
    run_id = store.create_run(LOCAL, "Essay", {"agents": ["a", "b"]}, "Write", "Demo", work_dir="/w")
    for seq in range(1, 4):
        store.append_event(run_id, seq, "message", {"n": seq}, sender="a", content=f"m{seq}")
    store.finish_run(run_id, "finished", "max turns", "m3", {"total_tokens": 30, "cost": 0.5})
    return run_id


def _comparable(backup: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(backup)
    data.pop("created_at")
    return data


def test_backup_restore_into_empty_database(store: Store, sqlite_url: str) -> None:
    run_id = _fill(store)
    backup = store.backup(LOCAL)
    text = json.dumps(backup)

    assert KEY not in text and "SECRETVALUE" not in text
    assert backup["model_configs"][0]["api_key_secret"] == "openai"
    assert [len(t["versions"]) for t in backup["templates"]] == [1, 2]

    target = Store.open(f"{sqlite_url}.restored")
    try:
        counts = target.restore(LOCAL, json.loads(text))
        assert counts == {"accounts": 0, "templates": 2, "model_configs": 1, "tools": 1,
                          "settings": 1, "runs": 1, "document_collections": 0, "drafts": 0}
        assert _comparable(target.backup(LOCAL)) == _comparable(backup)
        assert target.get_template(LOCAL, "Essay", 1).note == "n1"
        assert [t.name for t in target.list_templates(LOCAL)] == ["Essay"]
        assert [e.content for e in target.run_events(LOCAL, run_id)] == ["m1", "m2", "m3"]
        assert target.get_run(LOCAL, run_id).work_dir == "/w"
        assert target.list_secrets(LOCAL) == []
        # Saving again continues the version numbers.
        assert target.save_template(LOCAL, "Essay", {"agents": []}).version == 3
    finally:
        target.close()


def test_restore_from_sqlite_into_this_database(store: Store, sqlite_url: str) -> None:
    source = Store.open(f"{sqlite_url}.source")
    try:
        _fill(source)
        backup = source.backup(LOCAL)
    finally:
        source.close()
    store.restore(LOCAL, backup)
    assert _comparable(store.backup(LOCAL)) == _comparable(backup)


def test_restore_into_existing_replaces_same_names_and_keeps_the_rest(store: Store) -> None:
    run_id = _fill(store)
    backup = store.backup(LOCAL)
    store.save_template(LOCAL, "Essay", {"agents": ["changed"]})
    store.save_template(LOCAL, "Mine", {"agents": []})
    store.append_event(run_id, 4, "message", {}, content="extra")

    store.restore(LOCAL, backup)

    assert [v.version for v in store.template_versions(LOCAL, "Essay")] == [2, 1]
    assert store.get_template(LOCAL, "Mine").version == 1
    assert [e.seq for e in store.run_events(LOCAL, run_id)] == [1, 2, 3]


@pytest.mark.parametrize(
    ("mutate", "place"),
    [
        (
            lambda b: b["templates"][1]["versions"][0].pop("document"),
            r"templates\[1\]\.versions\[0\]\.document: missing",
        ),
        (
            lambda b: b["runs"][0]["events"][2].update(seq="3"),
            r"runs\[0\]\.events\[2\]\.seq: expected an integer",
        ),
        (lambda b: b["runs"][0].update(status="exploded"), r"runs\[0\]\.status"),
        (
            lambda b: b["model_configs"][0].update(api_key="sk-x"),
            r"model_configs\[0\]: holds an API key",
        ),
        (lambda b: b.update(templates={}), r"\.templates: expected a list"),
        (lambda b: b.update(format="other"), "not a Roundtable backup"),
    ],
)
def test_malformed_backup_names_the_place_and_changes_nothing(
    store: Store, mutate: Any, place: str
) -> None:
    _fill(store)
    backup = store.backup(LOCAL)
    store.save_template(LOCAL, "Essay", {"agents": ["newer"]})
    before = _comparable(store.backup(LOCAL))
    mutate(backup)

    with pytest.raises(StoreError, match=place):
        store.restore(LOCAL, backup)

    assert _comparable(store.backup(LOCAL)) == before


def test_duplicate_names_in_a_backup_are_refused(store: Store) -> None:
    _fill(store)
    backup = store.backup(LOCAL)
    backup["runs"].append(copy.deepcopy(backup["runs"][0]))
    with pytest.raises(StoreError, match=r"runs\[1\]\.id: '[0-9a-f]+' appears twice"):
        store.restore(LOCAL, backup)


def _refuse_run(store: Store, run_id: str) -> None:
    """A real database failure in the middle of a restore: a trigger refuses one run."""
    with store.engine.begin() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse BEFORE INSERT ON run WHEN NEW.id = '{run_id}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.id = '{run_id}' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON run FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


def test_restore_failing_midway_rolls_back(store: Store) -> None:
    _fill(store)
    backup = store.backup(LOCAL)
    store.save_template(LOCAL, "Essay", {"agents": ["newer"]})
    store.set_setting(LOCAL, "allow_unsandboxed_code", False)
    before = _comparable(store.backup(LOCAL))
    late = copy.deepcopy(backup["runs"][0])
    late["id"] = "late-run"
    backup["runs"].append(late)  # restored last, after templates/settings/first run
    _refuse_run(store, "late-run")

    with pytest.raises(StoreError, match="refused by test trigger"):
        store.restore(LOCAL, backup)

    assert _comparable(store.backup(LOCAL)) == before


PASSWORD = "correct horse battery"


def _workshop(store: Store) -> tuple[Actor, Actor, Actor]:
    """A teacher and two members who each made a template, a model, a tool, a run, a
    collection and a draft of the same names."""
    admin = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    people = [actor_of(store.create_account(admin, n, PASSWORD)) for n in ("ann", "bob")]
    store.set_budget(admin, "bob", Budget(tokens_per_day=500))
    for person in people:
        store.save_template(person, "Essay", {"agents": [person.name]}, note=person.name)
        store.save_model_config(person, ModelConfig(name="mine", model=f"m-{person.name}"))
        store.save_tool(person, "add", "def add(a: int, b: int) -> int:\n    'Add.'\n"
                                       "    return a + b\n", person.name)
        store.create_collection(person, "notes", description=person.name)
        store.save_draft(person, {"name": f"{person.name}'s draft"}, None)
        run_id = store.create_run(person, "Essay", {}, f"{person.name}'s task", "Demo")
        store.finish_run(run_id, "finished", usage={"total_tokens": 10, "cost": 0.0})
    store.share_template(people[0], "Essay", True)
    return admin, people[0], people[1]


def test_a_workshops_backup_keeps_who_owns_what(store: Store, sqlite_url: str) -> None:
    admin, ann, bob = _workshop(store)
    backup = store.backup(admin)
    text = json.dumps(backup)
    assert "argon2" not in text and "password" not in text, "no password hashes"
    assert [a["name"] for a in backup["accounts"]] == ["ann", "bob", "teacher"]

    target = Store.open(f"{sqlite_url}.restored")
    try:
        counts = target.restore(LOCAL, json.loads(text))
        assert counts["accounts"] == 3 and counts["templates"] == 2 and counts["drafts"] == 2
        assert _comparable(target.backup(LOCAL)) == _comparable(backup)
        people = {a.name: actor_of(a) for a in target.list_accounts(LOCAL)}
        assert people["teacher"].is_admin and not people["ann"].is_admin
        new_ann, new_bob = people["ann"], people["bob"]
        # each person's things are theirs again, and only theirs
        assert target.get_template(new_ann, "Essay").note == "ann"
        assert target.get_template(new_bob, "Essay").note == "bob"
        assert [t.shared for t in target.list_templates(new_ann)] == [True]
        assert target.get_model_config(new_bob, "mine").model == "m-bob"
        assert [r.task for r in target.list_runs(new_ann)] == ["ann's task"]
        assert target.get_draft(new_bob) == ({"name": "bob's draft"}, None)
        assert target.budget_for(new_bob).tokens_per_day == 500
        # no password came along: one is set before signing in again
        with pytest.raises(StoreError):
            target.sign_in("ann", PASSWORD)
        target.set_password(LOCAL, "ann", PASSWORD)
        assert target.sign_in("ann", PASSWORD).name == "ann"
    finally:
        target.close()


def test_restoring_into_the_same_workshop_replaces_each_persons_own(store: Store) -> None:
    admin, ann, bob = _workshop(store)
    backup = store.backup(admin)
    store.save_template(ann, "Essay", {"agents": ["changed"]}, note="later")
    store.set_password(admin, "ann", "another long password")
    counts = store.restore(admin, backup)
    assert counts["accounts"] == 0, "existing accounts are left as they are"
    assert store.get_template(ann, "Essay").note == "ann"
    assert store.get_template(bob, "Essay").note == "bob"
    assert store.sign_in("ann", "another long password").name == "ann"


def test_an_owner_the_backup_does_not_know_is_refused(store: Store) -> None:
    admin, _, _ = _workshop(store)
    backup = store.backup(admin)
    backup["templates"][0]["owner"] = "carol"
    with pytest.raises(StoreError, match=r"templates\[0\]\.owner: 'carol' is not an account"):
        store.restore(admin, backup)


@pytest.mark.parametrize(("database", "meanwhile"), [
    ("sqlite_url", "before the restore writes"),
    ("pg_url", "before the restore writes"),
    # (on SQLite the restore holds the write lock: nobody else writes while it does)
    ("pg_url", "while it writes"),
])
def test_an_account_someone_creates_during_a_restore_is_kept(
        request: pytest.FixtureRequest, database: str, meanwhile: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process (here a second connection) creates an account of a name the backup
    brings, after the restore has checked the backup's owners: the restore still loads
    everything, and the account that process made stays as it made it."""
    store_url = str(request.getfixturevalue(database))
    store = Store.open(store_url)
    request.addfinalizer(store.close)
    admin, _, _ = _workshop(store)
    backup = store.backup(admin)
    carol = {**next(a for a in backup["accounts"] if a["name"] == "ann"), "name": "carol"}
    backup["accounts"].append(carol)
    backup["templates"][0]["owner"] = "carol"
    other = Store.open(store_url)
    write = store._write

    made: list[str] = []

    def create_carol() -> None:
        if not made:  # once: the restore looks carol up again after its insert fails
            made.append(other.create_account(admin, "carol", PASSWORD, role="admin").name)

    @contextlib.contextmanager
    def racing_write() -> Iterator[Session]:
        if meanwhile == "before the restore writes":
            create_carol()
        with write() as session:
            if meanwhile == "while it writes":
                def after_the_check(state: ORMExecuteState) -> Result[Any] | None:
                    if not state.is_select or "carol" not in state.statement.compile().params.values():
                        return None
                    found = state.invoke_statement()
                    create_carol()  # committed by the other connection, between check and add
                    return found
                event.listen(session, "do_orm_execute", after_the_check)
            yield session

    monkeypatch.setattr(store, "_write", racing_write)
    try:
        counts = store.restore(admin, backup)
    finally:
        monkeypatch.undo()
        other.close()
    assert counts["accounts"] == 0 and counts["templates"] == len(backup["templates"])
    kept = store.sign_in("carol", PASSWORD)
    assert kept.role == "admin", "the account made meanwhile is left as it was made"
    restored = {t.name for t in store.list_templates(actor_of(kept))}
    assert backup["templates"][0]["name"] in restored


def test_an_account_whose_sign_on_identity_is_taken_here_is_named_and_nothing_changes(
        store: Store) -> None:
    admin, _, _ = _workshop(store)
    store.oidc_account("https://id.example", "subject-1", email="ann@x")
    backup = store.backup(admin)
    entry = next(a for a in backup["accounts"] if a["oidc_subject"] == "subject-1")
    entry["name"] = "ann-elsewhere"  # what another studio named the same person
    before = _comparable(store.backup(admin))
    with pytest.raises(StoreError, match=r"'ann-elsewhere' cannot be restored: its single "
                                         r"sign-on identity \(https://id.example subject-1\)"):
        store.restore(admin, backup)
    assert _comparable(store.backup(admin)) == before

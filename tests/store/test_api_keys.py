"""API keys for `roundtable serve` in the store, on SQLite and PostgreSQL: only their hash
is kept, only administrators make, list and revoke them, and a key stops working the moment
it is revoked or its administrator loses access. Runs record where they came from."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from studio.store import KEY_PREFIX, Actor, Forbidden, NotFound, Store, StoreError, actor_of

LOCAL = Actor.local()
PASSWORD = "correct horse battery"


def test_a_key_is_shown_once_and_only_its_hash_is_kept(store: Store) -> None:
    record, key = store.create_api_key(LOCAL, "  demo   page ", rate_limit=30)
    assert key.startswith(KEY_PREFIX) and len(key) > 40
    assert (record.name, record.rate_limit, record.prefix) == ("demo page", 30, key[:10])
    assert record.active and record.last_used_at is None
    with store.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_key")).mappings().all()
    assert len(rows) == 1 and key not in str(dict(rows[0]))
    assert key not in str(store.backup(LOCAL))  # keys are not carried by a backup

    found = store.api_key_for(key)
    assert found is not None and found.id == record.id
    assert store.key_actor(found) == LOCAL  # made in personal mode: acts as its one user
    for wrong in ("", key + "x", key[:-1], "sk-" + key, KEY_PREFIX + "A" * 43):
        assert store.api_key_for(wrong) is None
    store.touch_api_key(record.id)
    assert store.list_api_keys(LOCAL)[0].last_used_at is not None

    store.revoke_api_key(LOCAL, record.id)
    assert store.api_key_for(key) is None
    assert store.list_api_keys(LOCAL)[0].revoked_at is not None
    assert store.list_api_keys(LOCAL, include_revoked=False) == []


def test_only_administrators_manage_keys_and_keys_follow_their_access(store: Store) -> None:
    admin = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    head = actor_of(store.create_account(LOCAL, "head", PASSWORD, role="admin"))
    member = actor_of(store.create_account(admin, "ann", PASSWORD))
    with pytest.raises(Forbidden):
        store.create_api_key(member, "mine")
    record, key = store.create_api_key(admin, "class page")
    with pytest.raises(Forbidden):
        store.list_api_keys(member)
    with pytest.raises(Forbidden):
        store.revoke_api_key(member, record.id)
    assert store.key_actor(store.api_key_for(key)) == admin  # its runs are the teacher's

    store.set_access(head, "teacher", False)  # the teacher's access ends: so does the key
    assert store.api_key_for(key) is None
    store.set_access(head, "teacher", True)
    assert store.api_key_for(key) is not None


def test_bad_names_limits_and_ids_say_what_to_do(store: Store) -> None:
    with pytest.raises(StoreError, match="give the key a name"):
        store.create_api_key(LOCAL, "   ")
    with pytest.raises(StoreError, match="rate limit is 1 to"):
        store.create_api_key(LOCAL, "x", rate_limit=0)
    with pytest.raises(NotFound):
        store.revoke_api_key(LOCAL, 12345)


def test_runs_record_their_source_and_key(store: Store) -> None:
    record, _key = store.create_api_key(LOCAL, "script")
    api = store.create_run(LOCAL, "Essay", {}, "Write", source="api", api_key_id=record.id)
    studio = store.create_run(LOCAL, "Essay", {}, "Write", source="studio")
    info = store.get_run(LOCAL, api)
    assert (info.source, info.api_key_id) == ("api", record.id)
    assert [r.id for r in store.list_runs(LOCAL, source="api")] == [api]
    assert store.count_runs(LOCAL, source="studio") == 1 and studio

"""Migrations, connection set-up, data dir defaults and the store's import boundary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection

from studio.store import (
    MIGRATIONS,
    Migration,
    SchemaTooNew,
    Store,
    StoreError,
    default_data_dir,
    default_db_url,
)
from studio.store._tables import ALL_TABLES

ROOT = Path(__file__).resolve().parents[2]


def _add_run_note(conn: Connection) -> None:
    conn.execute(sa.text("ALTER TABLE run ADD COLUMN note TEXT NOT NULL DEFAULT ''"))
    conn.execute(sa.text("UPDATE run SET note = 'from v1: ' || task"))


N = MIGRATIONS[-1].version  # the newest shipped version
V2 = (*MIGRATIONS, Migration(N + 1, "add run.note", _add_run_note))


def _columns(store: Store, table: str) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in sa.inspect(store.engine).get_columns(table)}


def test_migrated_schema_matches_the_tables(store: Store) -> None:
    assert store.schema_version() == MIGRATIONS[-1].version
    for model in ALL_TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        expected = {c.name: bool(c.nullable) for c in table.columns}
        assert _columns(store, table.name) == expected, table.name


def test_upgrade_keeps_every_row(store_url: str) -> None:
    old = Store.open(store_url)
    old.save_template("Essay", {"agents": ["a"]})
    old.save_template("Essay", {"agents": ["a", "b"]})
    run_id = old.create_run("Essay", {"agents": ["a", "b"]}, "Write")
    old.append_event(run_id, 1, "message", {"n": 1}, content="hello")
    old.set_secret("k", "sk-0123456789")
    old.set_setting("x", [1, 2])
    before = old.backup()
    old.close()

    new = Store.open(store_url, migrations=V2)
    try:
        assert new.schema_version() == N + 1
        assert "note" in _columns(new, "run")
        with new.engine.connect() as conn:
            note = conn.execute(sa.text("SELECT note FROM run WHERE id = :i"), {"i": run_id})
            assert note.scalar() == "from v1: Write"
        after = new.backup()
        before.pop("created_at"), after.pop("created_at")
        assert after == before
        assert new.get_secret("k") == "sk-0123456789"
        # Still writable after the upgrade.
        new.append_event(run_id, 2, "message", {}, content="again")
        assert [e.content for e in new.run_events(run_id)] == ["hello", "again"]
    finally:
        new.close()

    # An upgraded database refuses older code instead of misreading it.
    with pytest.raises(SchemaTooNew, match=f"version {N + 1} .* up to version {N}; upgrade"):
        Store.open(store_url)


def test_a_failing_migration_changes_nothing(store_url: str) -> None:
    Store.open(store_url).close()

    def broken(conn: Connection) -> None:
        conn.execute(sa.text("ALTER TABLE run ADD COLUMN half_done TEXT"))
        raise RuntimeError("boom")

    with pytest.raises(StoreError, match=rf"migration {N + 1} \(broken\) failed .* version {N}: boom"):
        Store.open(store_url, migrations=(*MIGRATIONS, Migration(N + 1, "broken", broken)))

    store = Store.open(store_url)
    try:
        assert store.schema_version() == N
        assert "half_done" not in _columns(store, "run")
    finally:
        store.close()


def test_misnumbered_migrations_are_refused(sqlite_url: str) -> None:
    with pytest.raises(StoreError, match=f"position {N + 1} holds version {N + 2}"):
        Store.open(sqlite_url, migrations=(*MIGRATIONS, Migration(N + 2, "gap", _add_run_note)))


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    store = Store.open(data_dir=tmp_path / "new" / "dir")
    try:
        assert (tmp_path / "new" / "dir" / "roundtable.db").is_file()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    finally:
        store.close()


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ROUNDTABLE_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "roundtable"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "roundtable"
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(tmp_path / "rt"))
    assert default_data_dir() == tmp_path / "rt"
    assert default_db_url() == f"sqlite:///{tmp_path / 'rt' / 'roundtable.db'}"


def test_bad_urls_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'"):
        Store.open("mysql://u:p@localhost/db")
    with pytest.raises(StoreError, match="bad database URL"):
        Store.open("not a url")
    with pytest.raises(StoreError, match="in-memory"):
        Store.open("sqlite://")
    url = "postgresql+psycopg2://who:hunter2@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot open the database") as caught:
        Store.open(url)
    assert "hunter2" not in str(caught.value)


def test_repr_hides_the_password(pg_url: str) -> None:
    store = Store.open(pg_url)
    try:
        assert "roundtable:***@" in repr(store)
    finally:
        store.close()


def test_store_imports_nothing_of_the_app() -> None:
    code = (
        "import sys, studio.store\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit' or "
        "(m.startswith('studio.') and m.split('.')[1] not in ('store', 'engine')))\n"
        "print(bad)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"

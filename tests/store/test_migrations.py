"""Migrations (Alembic), connection set-up, data dir defaults and the store's import boundary.

Every earlier schema is upgraded on SQLite AND PostgreSQL with one of everything in it:
nothing is lost.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from studio.store import (
    Actor,
    SchemaTooNew,
    Store,
    StoreError,
    default_data_dir,
    default_db_url,
    head_revision,
    revisions,
)
from studio.store._db import create_db_engine
from studio.store._migrations import migrate
from studio.store._tables import ALL_TABLES
from studio.store.migrations import HEAD

from ._legacy import DRAFT, SECRET, make_v1, make_v2

ROOT = Path(__file__).resolve().parents[2]
LOCAL = Actor.local()


def _columns(store: Store, table: str) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in sa.inspect(store.engine).get_columns(table)}


def test_head_names_the_newest_revision() -> None:
    assert HEAD == head_revision() == revisions()[-1]


def test_opening_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    Store.open(data_dir=tmp_path).close()  # created and migrated: Alembic runs here
    code = ("import sys\nfrom pathlib import Path\nfrom studio.store import Store\n"
            f"Store.open(data_dir=Path({str(tmp_path)!r})).close()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def test_migrated_schema_matches_the_tables(store: Store) -> None:
    assert store.schema_version() == head_revision()
    for model in ALL_TABLES:
        table = model.__table__  # type: ignore[attr-defined]
        expected = {c.name: bool(c.nullable) for c in table.columns}
        assert _columns(store, table.name) == expected, table.name
    assert not sa.inspect(store.engine).has_table("schema_version")


def _check_v1_data_survived(store: Store, url: str) -> None:
    """Everything `_legacy.fill_v1` wrote is there, readable through today's API."""
    versions = store.template_versions(LOCAL, "Essay")
    assert [v.document for v in versions] == [{"agents": ["a", "b"]}, {"agents": ["a"]}]
    assert store.list_templates(LOCAL)[0].tags == ("writing",)
    run = store.get_run(LOCAL, "r1")
    assert (run.task, run.status, run.total_tokens, run.usage) == (
        "Write", "finished", 42, {"total_tokens": 42})
    assert [e.content for e in store.run_events(LOCAL, "r1")] == [
        "message 1", "message 2", "message 3"]
    config = store.get_model_config(LOCAL, "ollama")
    assert (config.base_url, config.price, config.extra) == (
        "http://localhost:11434/v1", (1.0, 2.0), {"timeout": 5})
    assert store.list_tools(LOCAL)[0].name == "shout"
    assert store.get_setting("allow_unsandboxed_code") is True
    # the global Builder draft became the personal-mode user's draft
    assert store.get_draft(LOCAL) == (DRAFT, None)
    assert store.get_setting("builder_draft") is None
    # the plain-text key is encrypted now, bound to the host of the model that uses it
    assert store.secret_for_use(LOCAL, "ollama-api-key", "http://localhost:11434/v1") == SECRET
    with store.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT value FROM secret")).scalar()
    assert SECRET not in stored
    if url.startswith("sqlite:///"):
        db = Path(url[len("sqlite:///"):])
        for path in (db, db.with_name(db.name + "-wal")):
            if path.exists():
                assert SECRET.encode() not in path.read_bytes(), path
    # still writable
    store.save_template(LOCAL, "Essay", {"agents": ["c"]})
    store.append_event("r1", 4, "message", {}, content="again")
    assert store.template_versions(LOCAL, "Essay")[0].version == 3


@pytest.mark.parametrize("legacy", [1, 2])
def test_a_database_from_before_alembic_upgrades_keeping_every_row(store_url: str,
                                                                   legacy: int) -> None:
    (make_v1 if legacy == 1 else make_v2)(store_url)
    store = Store.open(store_url)
    try:
        assert store.schema_version() == head_revision()
        _check_v1_data_survived(store, store_url)
    finally:
        store.close()


@pytest.mark.parametrize("start", revisions()[:-1])
def test_every_earlier_revision_upgrades_keeping_every_row(store_url: str, start: str) -> None:
    """A database stopped at each earlier revision (legacy data moved up to it) reaches
    the newest one with nothing lost."""
    make_v1(store_url)
    engine = create_db_engine(store_url)
    try:
        migrate(engine, target=start)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == start
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        _check_v1_data_survived(store, store_url)
    finally:
        store.close()


def _revision(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(f"""
        import sqlalchemy as sa
        from alembic import op

        revision = "{name[:4]}"
        down_revision = "{head_revision()}"
        branch_labels = None
        depends_on = None


        def upgrade():
        """) + textwrap.indent(textwrap.dedent(body), "    "))
    return folder


def test_a_new_revision_in_batch_mode_keeps_rows_and_children(store_url: str,
                                                               tmp_path: Path) -> None:
    """A table copied by batch mode (SQLite) keeps its rows, and the rows of tables that
    point at it (foreign keys are off while it is copied, so nothing cascades)."""
    old = Store.open(store_url)
    run_id = old.create_run(LOCAL, "Essay", {"agents": ["a"]}, "Write")
    old.append_event(run_id, 1, "message", {"n": 1}, content="hello")
    before = old.backup(LOCAL)
    old.close()
    extra = _revision(tmp_path / "v", "0999_note", """
        with op.batch_alter_table("run") as batch:
            batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
            batch.alter_column("model_label", existing_type=sa.String, nullable=True)
        op.execute("UPDATE run SET note = 'from before: ' || task")
    """)
    new = Store.open(store_url, extra_migrations=[extra])
    try:
        assert new.schema_version() == "0999"
        with new.engine.connect() as conn:
            note = conn.execute(sa.text("SELECT note FROM run WHERE id = :i"), {"i": run_id})
            assert note.scalar() == "from before: Write"
        after = new.backup(LOCAL)
        for data in (before, after):
            data.pop("created_at"), data.pop("schema_version")
            for run in data["runs"]:
                run.pop("note", None)
        assert after == before
        assert [e.content for e in new.run_events(LOCAL, run_id)] == ["hello"]
    finally:
        new.close()
    # An upgraded database refuses older code instead of misreading it.
    with pytest.raises(SchemaTooNew, match="revision 0999, which this Roundtable Studio does "
                                           "not know .*; upgrade"):
        Store.open(store_url)


def test_a_failing_migration_changes_nothing(store_url: str, tmp_path: Path) -> None:
    Store.open(store_url).close()
    extra = _revision(tmp_path / "v", "0999_broken", """
        op.add_column("run", sa.Column("half_done", sa.Text))
        raise RuntimeError("boom")
    """)
    with pytest.raises(StoreError, match=rf"migration 0999 .* failed and was rolled back; .* "
                                         rf"at revision {head_revision()}: boom"):
        Store.open(store_url, extra_migrations=[extra])
    store = Store.open(store_url)
    try:
        assert store.schema_version() == head_revision()
        assert "half_done" not in _columns(store, "run")
    finally:
        store.close()


def test_processes_opening_a_new_database_together_migrate_once(store_url: str) -> None:
    code = ("import sys; from studio.store import Store; "
            "Store.open(sys.argv[1]).close(); print('ok')")
    procs = [subprocess.Popen([sys.executable, "-c", code, store_url], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [o[1][-800:] for o in outs]
    store = Store.open(store_url)
    try:
        assert store.schema_version() == head_revision()
    finally:
        store.close()


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


def test_a_session_from_before_families_still_signs_in_and_signs_out(store_url: str) -> None:
    """0007: a sign-in made by an older studio keeps working after the upgrade; its first
    cookie ticket gives it a family, so signing out then ends the cookie's session too."""
    engine = create_db_engine(store_url)
    token = "an-older-studios-token"
    try:
        migrate(engine, target="0006")
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO account (id, name, display_name, role, budget, created_at) "
                "VALUES (7, 'ann', 'Ann', 'member', '{}', 0)"))
            conn.execute(sa.text(
                "INSERT INTO account_session (token_hash, account_id, created_at, expires_at, "
                "last_seen_at) VALUES (:h, 7, 0, 1e12, 0)"),
                {"h": hashlib.sha256(token.encode()).hexdigest()})
    finally:
        engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.schema_version() == HEAD
        assert store.session_actor(token).name == "Ann"  # type: ignore[union-attr]
        cookie = store.redeem_cookie_ticket(store.cookie_ticket(token))
        assert cookie is not None and store.session_actor(cookie) is not None
        store.end_session(token)
        assert store.session_actor(token) is None and store.session_actor(cookie) is None
    finally:
        store.close()

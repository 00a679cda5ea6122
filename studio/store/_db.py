"""Where the database lives and how to connect to it (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ._errors import StoreError

DB_FILENAME = "roundtable.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # per attempt; writes try again (see _base.WRITE_LOCK_WAIT)


def default_data_dir() -> Path:
    """$ROUNDTABLE_DATA_DIR, else $XDG_DATA_HOME/roundtable, else ~/.local/share/roundtable."""
    explicit = os.environ.get("ROUNDTABLE_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return Path(xdg).expanduser() / "roundtable"
    return Path.home() / ".local" / "share" / "roundtable"


def default_db_url(data_dir: Path | None = None) -> str:
    """The SQLite URL of ``data_dir/roundtable.db`` (``data_dir`` defaults to the user's)."""
    directory = (data_dir or default_data_dir()).expanduser().resolve()
    return f"sqlite:///{directory / DB_FILENAME}"


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets WAL, foreign keys, a busy timeout and real
    transactions (``BEGIN IMMEDIATE`` for writes); PostgreSQL goes through psycopg2."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise StoreError(
            f"bad database URL {url!r}: use sqlite:///PATH or "
            "postgresql+psycopg2://USER:PASSWORD@HOST:PORT/DB"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg2")
        return create_engine(parsed, pool_pre_ping=True, future=True)
    raise StoreError(f"unsupported database {backend!r} in {url!r}: use sqlite or postgresql")


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if not database or database == ":memory:":
        raise StoreError("an in-memory SQLite database cannot be shared; give a file path")
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            # Let SQLAlchemy (the "begin" hook below) issue BEGIN itself, so that DDL is
            # transactional and writes can take the lock up front.
            "isolation_level": None,
        },
        future=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA secure_delete=ON")  # a replaced key leaves no bytes behind
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def writer(engine: Engine) -> Engine:
    """The engine to use for write transactions (takes SQLite's write lock at BEGIN, so a
    read-then-write never fails with "database is locked" under concurrent writers)."""
    return engine.execution_options(sqlite_immediate=True)

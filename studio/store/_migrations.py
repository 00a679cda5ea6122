"""Schema migrations with Alembic: the revisions live in ``migrations/versions/``.

:func:`migrate` brings a database to the newest revision in ONE transaction (all pending
revisions or none), under a lock so that several studio processes starting together
migrate once: ``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL. SQLite gets
Alembic's batch mode (tables are copied where ``ALTER TABLE`` cannot do the change) with
foreign keys switched off meanwhile, so copying a parent table never cascades into its
children; ``PRAGMA foreign_key_check`` must come back empty before the commit.

Opening a database that is already at :data:`~studio.store.migrations.HEAD` reads one row
and does not load Alembic (it costs a tenth of a second that every command would pay).

A database from before Alembic (a ``schema_version`` table at version 1 or 2) is stamped
at the revision holding exactly that schema (``0001``, ``0002``) and upgraded from there.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from ._db import writer
from ._errors import SchemaTooNew, StoreError
from .migrations import HEAD

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
LEGACY_REVISIONS = {1: "0001", 2: "0002"}  # what each `schema_version` held
_PG_LOCK_KEY = 0x526F756E  # any constant: serialises migrations across processes


def _config(extra_versions: Sequence[Path]) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    locations = [str(VERSIONS_DIR), *(str(Path(p)) for p in extra_versions)]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


@lru_cache(maxsize=8)
def _script(extra_versions: tuple[Path, ...] = ()) -> tuple[Config, ScriptDirectory]:
    from alembic.script import ScriptDirectory

    config = _config(extra_versions)
    return config, ScriptDirectory.from_config(config)


def head_revision(extra_versions: Sequence[Path] = ()) -> str:
    """The newest revision this code knows."""
    _, script = _script(tuple(extra_versions))
    heads = script.get_heads()
    if len(heads) != 1:
        raise StoreError(f"the migrations have {len(heads)} heads ({', '.join(heads)}); "
                         "give each new revision the previous head as down_revision")
    return heads[0]


def revisions(extra_versions: Sequence[Path] = ()) -> list[str]:
    """Every revision, oldest first."""
    _, script = _script(tuple(extra_versions))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def schema_version(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty one; ``0001`` for a database
    from before Alembic that was never opened since)."""
    with engine.connect() as conn:
        return _current(conn)


def _current(conn: Connection) -> str | None:
    tables = sa.inspect(conn)
    if tables.has_table("alembic_version"):
        found = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
        if len(found) > 1:
            raise StoreError(f"the database is at {len(found)} revisions at once "
                             f"({', '.join(found)}); restore a backup")
        if found:
            return str(found[0])
    if tables.has_table("schema_version"):
        legacy = conn.execute(sa.text("SELECT MAX(version) FROM schema_version")).scalar()
        if legacy:
            return LEGACY_REVISIONS.get(int(legacy), f"legacy-{legacy}")
    return None


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Connection]:
    with writer(engine).connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # must be set outside a transaction to take effect
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            yield conn
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]


def migrate(engine: Engine, extra_versions: Sequence[Path] = (),
            target: str | None = None) -> list[str]:
    """Apply the pending revisions (up to ``target``, default the newest), all in one
    transaction; return those applied.

    Raises :class:`SchemaTooNew` when the database is at a revision this code does not
    know (written by a newer Roundtable Studio), :class:`StoreError` when a revision
    fails (nothing is changed then).
    """
    if not extra_versions and target in (None, HEAD):
        with engine.connect() as conn:  # the usual case: nothing to do, no lock, no Alembic
            if _current(conn) == HEAD:
                return []
    from alembic.runtime.migration import MigrationContext

    config, script = _script(tuple(extra_versions))
    head = target or head_revision(extra_versions)
    known = set(revisions(extra_versions))
    applied: list[str] = []
    with _migration_connection(engine) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
            current = _current(conn)  # read under the lock: another process may have migrated
            if current is not None and current not in known:
                raise SchemaTooNew(current, head_revision(extra_versions))
            if current is not None and current in LEGACY_REVISIONS.values() and \
                    MigrationContext.configure(conn).get_current_revision() is None:
                MigrationContext.configure(conn).stamp(script, current)
            if current == head:
                return []
            pending = [r.revision for r in script.iterate_revisions(head, current)][::-1]
            try:
                _run(config, script, conn, head, applied)
                if conn.dialect.name == "sqlite":
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise StoreError(f"rows point at missing rows: {broken[:5]}")
            except SchemaTooNew:
                raise
            except Exception as exc:
                failed = pending[len(applied)] if len(applied) < len(pending) else head
                doc = (script.get_revision(failed).doc or "").strip().splitlines()
                raise StoreError(
                    f"migration {failed} ({doc[0] if doc else 'no description'}) failed and "
                    f"was rolled back; the database is unchanged at revision "
                    f"{current or 'none (empty)'}: {exc}") from exc
    return applied


def _run(config: Config, script: ScriptDirectory, conn: Connection, head: str,
         applied: list[str]) -> None:
    from alembic.runtime.environment import EnvironmentContext
    from alembic.runtime.migration import MigrationContext, MigrationInfo

    def upgrade(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs(head, rev)

    def on_apply(ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any],
                 run_args: Mapping[str, Any]) -> None:  # Alembic passes them by name
        if step.up_revision_id is not None:  # None only when downgrading to the base
            applied.append(step.up_revision_id)

    with EnvironmentContext(config, script, fn=upgrade, destination_rev=head) as env:
        env.configure(connection=conn, render_as_batch=True, on_version_apply=on_apply)
        env.run_migrations()

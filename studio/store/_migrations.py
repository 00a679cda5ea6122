"""Schema migrations: an ordered list, each applied in its own transaction.

Migration 1 creates the first schema from table definitions frozen here (never from the
live SQLModel classes, which move on with later migrations). To change the schema, append a
:class:`Migration` to :data:`MIGRATIONS` and update ``_tables.py`` to match; never edit a
migration that has shipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from ._db import writer
from ._errors import SchemaTooNew, StoreError


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _json() -> sa.JSON:
    return sa.JSON()


def _v1_initial(conn: Connection) -> None:
    md = sa.MetaData()
    sa.Table(
        "template",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True, index=True),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
    )
    sa.Table(
        "template_version",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "template_id",
            sa.Integer,
            sa.ForeignKey("template.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", _json(), nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("tags", _json(), nullable=False),
        sa.Column("note", sa.String, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("template_id", "version"),
    )
    sa.Table(
        "run",
        md,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("template_name", sa.String, nullable=False, index=True),
        sa.Column("template_snapshot", _json(), nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("model_label", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False, index=True),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False, index=True),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("total_tokens", sa.Integer, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("usage", _json(), nullable=False),
        sa.Column("work_dir", sa.String, nullable=True),
        sa.Column("owner", sa.String, nullable=False),
    )
    sa.Table(
        "run_event",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("run_id", sa.Text, sa.ForeignKey("run.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("chat_id", sa.String, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("sender", sa.String, nullable=False),
        sa.Column("recipient", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=True),
        sa.Column("content", sa.Text, nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("run_id", "seq"),
    )
    sa.Table(
        "model_config",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True, index=True),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("base_url", sa.String, nullable=True),
        sa.Column("api_type", sa.String, nullable=False),
        sa.Column("api_version", sa.String, nullable=True),
        sa.Column("api_key_env", sa.String, nullable=True),
        sa.Column("api_key_secret", sa.String, nullable=True),
        sa.Column("price_input", sa.Float, nullable=True),
        sa.Column("price_output", sa.Float, nullable=True),
        sa.Column("extra", _json(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    sa.Table(
        "secret",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True, index=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    sa.Table(
        "custom_tool",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, unique=True, index=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    sa.Table(
        "setting",
        md,
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", _json(), nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    md.create_all(conn)


def _v2_leases(conn: Connection) -> None:
    """Runs are held by a process lease (a heartbeat with expiry), not a host name."""
    md = sa.MetaData()
    sa.Table(
        "lease",
        md,
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False, index=True),
    )
    md.create_all(conn)
    conn.execute(sa.text("ALTER TABLE run ADD COLUMN holder VARCHAR"))
    conn.execute(sa.text("ALTER TABLE run ADD COLUMN mode VARCHAR NOT NULL DEFAULT 'local'"))
    conn.execute(sa.text("ALTER TABLE run ADD COLUMN options JSON NOT NULL DEFAULT '{}'"))
    conn.execute(sa.text("CREATE INDEX ix_run_holder ON run (holder)"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema", _v1_initial),
    Migration(2, "run leases", _v2_leases),
)


def _ensure_version_table(engine: Engine) -> None:
    with writer(engine).begin() as conn:
        sa.Table(
            "schema_version",
            sa.MetaData(),
            sa.Column("version", sa.Integer, primary_key=True),
            sa.Column("name", sa.String, nullable=False),
            sa.Column("applied_at", sa.Float, nullable=False),
        ).create(conn, checkfirst=True)


def schema_version(engine: Engine) -> int:
    """The highest migration applied to the database (0 for a new one)."""
    _ensure_version_table(engine)
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT MAX(version) FROM schema_version")).scalar()
    return int(value or 0)


def migrate(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the pending migrations in order, each in one transaction; return their versions.

    Raises :class:`SchemaTooNew` when the database is ahead of ``migrations``.
    """
    _check_order(migrations)
    known = migrations[-1].version if migrations else 0
    current = schema_version(engine)
    if current > known:
        raise SchemaTooNew(current, known)
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= current:
            continue
        with writer(engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("LOCK TABLE schema_version IN EXCLUSIVE MODE"))
            # Re-check under the write lock: another process may have migrated meanwhile.
            done = conn.execute(
                sa.text("SELECT 1 FROM schema_version WHERE version = :v"),
                {"v": migration.version},
            ).scalar()
            if done:
                continue
            try:
                migration.apply(conn)
            except Exception as exc:
                raise StoreError(
                    f"migration {migration.version} ({migration.name}) failed and was rolled "
                    f"back; the database is unchanged at version {current}: {exc}"
                ) from exc
            conn.execute(
                sa.text(
                    "INSERT INTO schema_version (version, name, applied_at) VALUES (:v, :n, :t)"
                ),
                {"v": migration.version, "n": migration.name, "t": time.time()},
            )
        current = migration.version
        applied.append(migration.version)
    return applied


def _check_order(migrations: Sequence[Migration]) -> None:
    for index, migration in enumerate(migrations, start=1):
        if migration.version != index:
            raise StoreError(
                f"migrations must be numbered 1, 2, 3...; position {index} holds "
                f"version {migration.version} ({migration.name})"
            )

"""Accounts, sign-in sessions, per-person drafts, ownership and encrypted, host-bound secrets.

- ``account`` (administrators and members), ``account_session`` (sign-in sessions shared by
  every studio process), ``sign_in_attempt`` (rate limiting across processes), ``draft``
  (one Builder draft per person; the old global ``builder_draft`` setting moves here).
- ``owner_id`` on templates, runs, model configs, secrets and custom tools (NULL: the
  personal-mode user, which the administrators own); ``shared`` on templates and model
  configs; names are unique per owner instead of globally.
- ``secret.host`` (the host a key may be sent to) and ``secret.encrypted`` (rows written
  before this revision hold plain text until ``Store.open`` encrypts them).
- The pre-Alembic ``schema_version`` table goes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OWNED = ("template", "run", "model_config", "secret", "custom_tool")
_NAMED = ("template", "model_config", "secret", "custom_tool")


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("schema_version"):
        op.drop_table("schema_version")
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("display_name", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("password_hash", sa.String, nullable=True),
        sa.Column("oidc_issuer", sa.String, nullable=True),
        sa.Column("oidc_subject", sa.String, nullable=True),
        sa.Column("budget", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("disabled_at", sa.Float, nullable=True),
        sa.Column("last_seen_at", sa.Float, nullable=True),
    )
    op.create_index("ix_account_name", "account", ["name"], unique=True)
    op.create_index("uq_account_oidc", "account", ["oidc_issuer", "oidc_subject"], unique=True)
    op.create_table(
        "account_session",
        sa.Column("token_hash", sa.String, primary_key=True),
        sa.Column("account_id", sa.Integer,
                  sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("last_seen_at", sa.Float, nullable=False),
    )
    op.create_index("ix_account_session_account_id", "account_session", ["account_id"])
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_sign_in_attempt_name_at", "sign_in_attempt", ["name", "at"])
    op.create_table(
        "draft",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer,
                  sa.ForeignKey("account.id", ondelete="CASCADE"), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("saved_as", sa.String, nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("uq_draft_owner", "draft", [sa.text("coalesce(owner_id, 0)")], unique=True)

    for table in _OWNED:
        # Batch mode: SQLite cannot add a foreign key in place, so the table is copied.
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(
                "owner_id", sa.Integer,
                sa.ForeignKey("account.id", name=f"fk_{table}_owner"), nullable=True))
            if table in ("template", "model_config"):
                batch.add_column(sa.Column("shared", sa.Boolean, nullable=False,
                                           server_default=sa.false()))
            if table == "secret":
                batch.add_column(sa.Column("host", sa.String, nullable=True))
                batch.add_column(sa.Column("encrypted", sa.Boolean, nullable=False,
                                           server_default=sa.false()))
            if table in _NAMED:
                batch.drop_index(f"ix_{table}_name")
        op.create_index(f"ix_{table}_owner_id", table, ["owner_id"])
        if table in _NAMED:
            op.create_index(f"ix_{table}_name", table, ["name"])
            op.create_index(f"uq_{table}_owner_name", table,
                            [sa.text("coalesce(owner_id, 0)"), "name"], unique=True)

    # a member's History: their runs, newest first, without sorting everyone's
    op.create_index("ix_run_owner_started", "run", ["owner_id", "started_at"])
    _move_global_draft(bind)


def _move_global_draft(bind: sa.Connection) -> None:
    setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON()))
    draft = sa.table("draft", sa.column("owner_id", sa.Integer),
                     sa.column("document", sa.JSON()), sa.column("saved_as", sa.String),
                     sa.column("updated_at", sa.Float))
    value = bind.execute(sa.select(setting.c.value).where(setting.c.key == "builder_draft"))
    saved = value.scalar()
    if isinstance(saved, dict) and isinstance(saved.get("doc"), dict):
        import time

        bind.execute(draft.insert().values(owner_id=None, document=saved["doc"],
                                           saved_as=saved.get("saved_as"),
                                           updated_at=time.time()))
    bind.execute(setting.delete().where(setting.c.key == "builder_draft"))

"""API keys for `roundtable serve`, and where each run came from.

- ``api_key``: the callers' keys (a SHA-256 of each, never the key), owned by the
  administrator who made them, with an optional rate limit and a revocation time.
- ``run.source``: studio, cli or api ('' for runs recorded before); ``run.api_key_id``: the
  key an API run was started with (NULL once that key is deleted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("account.id", name="fk_api_key_owner"),
                  nullable=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("prefix", sa.String, nullable=False),
        sa.Column("key_hash", sa.String, nullable=False),
        sa.Column("rate_limit", sa.Integer, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("last_used_at", sa.Float, nullable=True),
        sa.Column("revoked_at", sa.Float, nullable=True),
    )
    op.create_index("ix_api_key_key_hash", "api_key", ["key_hash"], unique=True)
    op.create_index("ix_api_key_owner_id", "api_key", ["owner_id"])
    # Batch mode: SQLite cannot add a foreign key in place, so the table is copied.
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("source", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column(
            "api_key_id", sa.Integer,
            sa.ForeignKey("api_key.id", name="fk_run_api_key", ondelete="SET NULL"),
            nullable=True))

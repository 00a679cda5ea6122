"""Runs are held by a process lease (a heartbeat with expiry), not a host name.

What ``schema_version`` 2 held before the move to Alembic (the ``lease`` table, and
``run.holder``, ``run.mode``, ``run.options``). Frozen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lease",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("host", sa.String, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_lease_expires_at", "lease", ["expires_at"])
    with op.batch_alter_table("run") as batch:
        batch.add_column(sa.Column("holder", sa.String, nullable=True))
        batch.add_column(sa.Column("mode", sa.String, nullable=False, server_default="local"))
        batch.add_column(sa.Column("options", sa.JSON(), nullable=False, server_default="{}"))
    op.create_index("ix_run_holder", "run", ["holder"])

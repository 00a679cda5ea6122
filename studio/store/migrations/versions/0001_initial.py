"""The first schema (what ``schema_version`` 1 held before the move to Alembic).

Frozen: never derived from the live SQLModel classes, which move on with later revisions.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "template",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("deleted_at", sa.Float, nullable=True),
    )
    op.create_index("ix_template_name", "template", ["name"], unique=True)
    op.create_table(
        "template_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("template_id", sa.Integer,
                  sa.ForeignKey("template.id", ondelete="CASCADE"), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("description", sa.String, nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("note", sa.String, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("template_id", "version"),
    )
    op.create_table(
        "run",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("template_name", sa.String, nullable=False),
        sa.Column("template_snapshot", sa.JSON(), nullable=False),
        sa.Column("task", sa.Text, nullable=False),
        sa.Column("model_label", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float, nullable=True),
        sa.Column("total_tokens", sa.Integer, nullable=False),
        sa.Column("cost", sa.Float, nullable=False),
        sa.Column("usage", sa.JSON(), nullable=False),
        sa.Column("work_dir", sa.String, nullable=True),
        sa.Column("owner", sa.String, nullable=False),
    )
    op.create_index("ix_run_template_name", "run", ["template_name"])
    op.create_index("ix_run_status", "run", ["status"])
    op.create_index("ix_run_started_at", "run", ["started_at"])
    op.create_table(
        "run_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("run_id", sa.Text, sa.ForeignKey("run.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("chat_id", sa.String, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("sender", sa.String, nullable=False),
        sa.Column("recipient", sa.String, nullable=False),
        sa.Column("role", sa.String, nullable=True),
        sa.Column("content", sa.Text, nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("run_id", "seq"),
    )
    op.create_table(
        "model_config",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("provider", sa.String, nullable=False),
        sa.Column("model", sa.String, nullable=False),
        sa.Column("base_url", sa.String, nullable=True),
        sa.Column("api_type", sa.String, nullable=False),
        sa.Column("api_version", sa.String, nullable=True),
        sa.Column("api_key_env", sa.String, nullable=True),
        sa.Column("api_key_secret", sa.String, nullable=True),
        sa.Column("price_input", sa.Float, nullable=True),
        sa.Column("price_output", sa.Float, nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_model_config_name", "model_config", ["name"], unique=True)
    op.create_table(
        "secret",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_secret_name", "secret", ["name"], unique=True)
    op.create_table(
        "custom_tool",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_custom_tool_name", "custom_tool", ["name"], unique=True)
    op.create_table(
        "setting",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False),
    )

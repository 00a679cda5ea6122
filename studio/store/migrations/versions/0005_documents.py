"""Document collections for the retrieval proxy: ``document_collection`` (per person, names
unique per owner), ``document`` (one per file) and ``document_chunk`` (the text the proxy
retrieves, with an embedding once one is computed)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_collection",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer,
                  sa.ForeignKey("account.id", name="fk_document_collection_owner",
                                ondelete="CASCADE"), nullable=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("embedding_config", sa.String, nullable=True),
        sa.Column("embedding_model", sa.String, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_document_collection_owner_id", "document_collection", ["owner_id"])
    op.create_index("ix_document_collection_name", "document_collection", ["name"])
    op.create_index("uq_document_collection_owner_name", "document_collection",
                    [sa.text("coalesce(owner_id, 0)"), "name"], unique=True)
    op.create_table(
        "document",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collection_id", sa.Integer,
                  sa.ForeignKey("document_collection.id", name="fk_document_collection",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String, nullable=False),
        sa.Column("chars", sa.Integer, nullable=False),
        sa.Column("added_at", sa.Float, nullable=False),
    )
    op.create_index("ix_document_collection_id", "document", ["collection_id"])
    op.create_index("uq_document_source", "document", ["collection_id", "source"], unique=True)
    op.create_table(
        "document_chunk",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer,
                  sa.ForeignKey("document.id", name="fk_document_chunk_document",
                                ondelete="CASCADE"), nullable=False),
        sa.Column("collection_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("location", sa.String, nullable=False),
        sa.Column("embedding", sa.JSON(none_as_null=True), nullable=True),
    )
    op.create_index("ix_document_chunk_document_id", "document_chunk", ["document_id"])
    op.create_index("ix_document_chunk_collection_id", "document_chunk", ["collection_id"])


def downgrade() -> None:
    op.drop_table("document_chunk")
    op.drop_table("document")
    op.drop_table("document_collection")

"""Sign-in sessions come in families: ``account_session.family`` names the sign-in a row
belongs to (the page's session, the single-use tickets it gives the browser, and the
session each ticket is traded for, kept in an HttpOnly cookie), so signing out of one ends
them all. ``account_session.kind`` tells a session from a ticket, which signs nobody in.

Rows written before this revision are sessions without a family ("" ): signing out ends
just that row, as before; their first ticket gives them a family.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account_session") as batch:
        batch.add_column(sa.Column("family", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("kind", sa.String, nullable=False,
                                   server_default="session"))
    op.create_index("ix_account_session_family", "account_session", ["family"])

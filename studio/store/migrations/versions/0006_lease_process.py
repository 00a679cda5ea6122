"""A lease names its process exactly: ``machine`` (kernel boot id and pid namespace) and
``proc_start`` (the process's start time, clock ticks after boot) beside its pid, so a
process on the same machine sees at once that a lease's holder has died (its pid is free
or belongs to a newer process) instead of waiting for the lease to expire.

Leases written before this revision have neither: they still wait for their expiry.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lease") as batch:
        batch.add_column(sa.Column("machine", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("proc_start", sa.BigInteger, nullable=False,
                                   server_default="0"))

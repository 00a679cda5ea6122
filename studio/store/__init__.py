"""Storage for Roundtable Studio: SQLModel over SQLite (a file in the user's data dir) or
PostgreSQL (by URL), with migrations, backup/restore and crash-safe run transcripts.

Depends on nothing else in ``studio``.
"""

from ._backup import BACKUP_FORMAT
from ._db import default_data_dir, default_db_url
from ._errors import AlreadyExists, LeaseLost, NotFound, SchemaTooNew, StoreError
from ._events import PERSISTED_EVENTS, event_columns
from ._migrations import MIGRATIONS, Migration
from ._records import (
    FINAL_STATUSES,
    LIVE_STATUSES,
    RUN_STATUSES,
    CustomTool,
    ModelConfig,
    RunEvent,
    RunInfo,
    SecretInfo,
    TemplateInfo,
    TemplateVersion,
    mask_secret,
)
from ._runs import RUN_EXPORT_FORMAT
from ._store import Store

__all__ = [
    "BACKUP_FORMAT",
    "FINAL_STATUSES",
    "LIVE_STATUSES",
    "MIGRATIONS",
    "PERSISTED_EVENTS",
    "RUN_EXPORT_FORMAT",
    "RUN_STATUSES",
    "AlreadyExists",
    "CustomTool",
    "LeaseLost",
    "Migration",
    "ModelConfig",
    "NotFound",
    "RunEvent",
    "RunInfo",
    "SchemaTooNew",
    "SecretInfo",
    "Store",
    "StoreError",
    "TemplateInfo",
    "TemplateVersion",
    "default_data_dir",
    "default_db_url",
    "event_columns",
    "mask_secret",
]

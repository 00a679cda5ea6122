"""Storage for Roundtable Studio: SQLModel over SQLite (a file in the user's data dir) or
PostgreSQL (by URL), with Alembic migrations, backup/restore, crash-safe run transcripts,
accounts and encrypted secrets.

Depends on nothing else in ``studio`` but the engine's event types.

Who is acting (the contract every caller follows)
-------------------------------------------------
Every call that reads or changes people's data takes the acting :class:`Actor` as its
FIRST argument: ``store.list_runs(actor)``, ``store.get_template(actor, name)``,
``store.save_model_config(actor, config)``... The checks live here, not in pages
(Streamlit serves every page to anyone who can reach the port):

- ``Actor.local()`` is the one user of personal mode (``roundtable ui`` on 127.0.0.1 and
  the CLI): an administrator whose rows have ``owner_id`` NULL.
- In shared mode an actor is a signed-in account (``Actor(id, name, role)``, role
  ``admin`` or ``member``); the app gets it from ``studio.app._auth.current_actor()``.
- Runs, templates, model configs, secrets, custom tools and Builder drafts belong to their
  owner. Members see their own, plus templates and model configs that are ``shared``
  (read and run only). Administrators see and may change everything.
- Another person's run or template simply does not exist for a member (``NotFound``);
  changing something one may only see raises ``Forbidden``.
- Document collections are private to their owner, administrators included (a run's
  retrieval proxy reads the collection of that name belonging to whoever runs it): another
  person's collection is ``NotFound`` for everyone.
- Settings (``set_setting``), accounts, budgets, API keys, backup and restore:
  administrators only. ``roundtable serve`` checks a key with the system call
  ``api_key_for`` and acts as the key's owner (``key_actor``).
- System calls the run manager makes on a run it holds (``append_event``,
  ``update_run_usage``, ``finish_run``, ``mark_interrupted_runs``...) take no actor.
- Secrets: encrypted at rest, decrypted only by :meth:`Store.secret_for_use`, which also
  refuses to hand a key out for any host but the one it was saved for.
"""

from ._accounts import (
    BUDGET_KEYS,
    DEFAULT_BUDGET,
    JOIN_CODE,
    SESSION_DAYS,
    Budget,
    SignInError,
    TooManyAttempts,
    actor_of,
)
from ._actor import ADMIN, MEMBER, ROLES, Actor
from ._api_keys import KEY_PREFIX
from ._backup import BACKUP_FORMAT
from ._config import ALLOWED_KEY_ENV
from ._crypto import KEY_ENV, KEY_FILE_ENV, check_base_url, key_host
from ._db import default_data_dir, default_db_url
from ._documents import CollectionInfo, DocumentInfo, StoredChunk
from ._errors import AlreadyExists, Forbidden, LeaseLost, NotFound, SchemaTooNew, StoreError
from ._events import PERSISTED_EVENTS, event_columns
from ._migrations import head_revision, revisions
from ._records import (
    FINAL_STATUSES,
    LIVE_STATUSES,
    RUN_STATUSES,
    Account,
    ApiKey,
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
    "ADMIN",
    "ALLOWED_KEY_ENV",
    "BACKUP_FORMAT",
    "BUDGET_KEYS",
    "CollectionInfo",
    "DEFAULT_BUDGET",
    "FINAL_STATUSES",
    "JOIN_CODE",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "LIVE_STATUSES",
    "KEY_PREFIX",
    "MEMBER",
    "PERSISTED_EVENTS",
    "ROLES",
    "RUN_EXPORT_FORMAT",
    "RUN_STATUSES",
    "Account",
    "Actor",
    "ApiKey",
    "AlreadyExists",
    "Budget",
    "CustomTool",
    "DocumentInfo",
    "Forbidden",
    "LeaseLost",
    "ModelConfig",
    "NotFound",
    "RunEvent",
    "RunInfo",
    "SchemaTooNew",
    "SecretInfo",
    "SESSION_DAYS",
    "SignInError",
    "StoredChunk",
    "Store",
    "StoreError",
    "TemplateInfo",
    "TemplateVersion",
    "TooManyAttempts",
    "actor_of",
    "check_base_url",
    "default_data_dir",
    "default_db_url",
    "event_columns",
    "head_revision",
    "key_host",
    "mask_secret",
    "revisions",
]

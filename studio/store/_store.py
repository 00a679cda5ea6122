"""The :class:`Store`: open a database, migrate it, and query it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError

from ._accounts import AccountsMixin
from ._api_keys import ApiKeysMixin
from ._backup import BackupMixin
from ._config import ConfigMixin
from ._crypto import SecretBox, key_file_for
from ._db import create_db_engine, default_data_dir, default_db_url
from ._documents import DocumentsMixin
from ._errors import StoreError
from ._migrations import migrate, schema_version
from ._runs import RunsMixin
from ._templates import TemplatesMixin


class Store(TemplatesMixin, RunsMixin, AccountsMixin, ConfigMixin, ApiKeysMixin, DocumentsMixin,
            BackupMixin):
    """Templates (with versions), runs and their events, model configs, secrets, custom tools,
    settings, drafts, accounts, API keys and document collections, in SQLite (default) or
    PostgreSQL.

    Thread-safe: each call uses its own short session. Open with :meth:`open`. Calls on
    people's data take the acting :class:`~studio.store.Actor` first.
    """

    @classmethod
    def open(
        cls,
        url: str | None = None,
        data_dir: Path | None = None,
        *,
        key_file: Path | None = None,
        extra_migrations: Sequence[Path] = (),
    ) -> Store:
        """Connect to ``url`` (default: SQLite in ``data_dir``, itself defaulting to
        :func:`default_data_dir`), apply pending migrations and encrypt any secret an older
        version stored in plain text. ``key_file``: where the secrets' key lives (default:
        ``$ROUNDTABLE_SECRET_KEY``, ``$ROUNDTABLE_KEY_FILE`` or ``secret.key`` in the data
        dir). ``extra_migrations``: more Alembic version folders (tests)."""
        directory = (data_dir or _sqlite_dir(url) or default_data_dir()).expanduser()
        if url is None:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"cannot create the data directory {directory}: {exc.strerror}; "
                    "set ROUNDTABLE_DATA_DIR to a writable directory"
                ) from exc
            url = default_db_url(directory)
        engine = create_db_engine(url)
        try:
            migrate(engine, extra_migrations)
        except OperationalError as exc:
            engine.dispose()
            shown = engine.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the database {shown}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()
            raise
        store = cls(engine, url, SecretBox(key_file or key_file_for(directory)))
        if store.seal_plaintext_secrets():
            store.checkpoint()
        return store

    def schema_version(self) -> str | None:
        """The Alembic revision of the open database."""
        return schema_version(self._engine)

    def checkpoint(self) -> None:
        """SQLite: move the write-ahead log into the database file and empty it (so bytes
        overwritten since, such as a plain-text key, are gone from both)."""
        if self.dialect == "sqlite":
            with self._engine.connect() as conn:
                conn.connection.driver_connection.execute(  # type: ignore[union-attr]
                    "PRAGMA wal_checkpoint(TRUNCATE)")


def _sqlite_dir(url: str | None) -> Path | None:
    """The folder of an SQLite database file (its key file lives beside it)."""
    if not url or not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):]).expanduser().parent

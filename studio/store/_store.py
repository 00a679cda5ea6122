"""The :class:`Store`: open a database, migrate it, and query it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy.exc import OperationalError

from ._backup import BackupMixin
from ._config import ConfigMixin
from ._db import create_db_engine, default_data_dir, default_db_url
from ._errors import StoreError
from ._migrations import MIGRATIONS, Migration, migrate, schema_version
from ._runs import RunsMixin
from ._templates import TemplatesMixin


class Store(TemplatesMixin, RunsMixin, ConfigMixin, BackupMixin):
    """Templates (with versions), runs and their events, model configs, secrets, custom tools
    and settings, in SQLite (default) or PostgreSQL.

    Thread-safe: each call uses its own short session. Open with :meth:`open`.
    """

    @classmethod
    def open(
        cls,
        url: str | None = None,
        data_dir: Path | None = None,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> Store:
        """Connect to ``url`` (default: SQLite in ``data_dir``, itself defaulting to
        :func:`default_data_dir`) and apply pending migrations."""
        if url is None:
            directory = (data_dir or default_data_dir()).expanduser()
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
            migrate(engine, migrations)
        except OperationalError as exc:
            engine.dispose()
            shown = engine.url.render_as_string(hide_password=True)
            raise StoreError(f"cannot open the database {shown}: {exc.orig}") from exc
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, url)

    def schema_version(self) -> int:
        """The schema version of the open database."""
        return schema_version(self._engine)

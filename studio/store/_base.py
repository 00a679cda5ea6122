"""The store's plumbing: one engine, a short session per call (thread-safe)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from ._crypto import SecretBox
from ._db import writer
from ._errors import StoreError


class StoreBase:
    """Holds the engine. Every public call opens its own session, so one store object can
    serve a writer thread per run plus any number of readers."""

    def __init__(self, engine: Engine, url: str, box: SecretBox) -> None:
        self._engine = engine
        self._writer = writer(engine)
        self._box = box
        self.url = url

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self._engine, expire_on_commit=False) as session:
            try:
                yield session
            except DBAPIError as exc:
                raise StoreError(f"database error while reading: {exc.orig}") from exc

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A session in one transaction, committed on success, rolled back on error."""
        with Session(self._writer, expire_on_commit=False) as session:
            try:
                with session.begin():
                    yield session
            except IntegrityError as exc:
                raise StoreError(f"the change conflicts with stored data: {exc.orig}") from exc
            except DBAPIError as exc:
                raise StoreError(f"database error while writing: {exc.orig}") from exc

    def close(self) -> None:
        """Release the connections (the store can't be used afterwards)."""
        self._engine.dispose()

    def __repr__(self) -> str:
        # The URL may hold a password: show it masked.
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

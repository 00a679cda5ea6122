"""The store's plumbing: one engine, a short session per call (thread-safe)."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from ._crypto import SecretBox
from ._db import writer
from ._errors import StoreError

#: How long a write waits for SQLite's write lock (other processes writing) before it
#: fails. Each attempt waits the connection's busy timeout; between attempts a short,
#: random pause lets the other writers through (SQLite's own waiting is not fair).
WRITE_LOCK_WAIT = 600.0


def _busy(exc: OperationalError) -> bool:
    text = str(exc.orig).lower()
    return "locked" in text or "busy" in text


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
    def secret_key_location(self) -> str:
        """Where the key that encrypts stored secrets comes from: ``$ROUNDTABLE_SECRET_KEY``
        or the path of the key file."""
        return self._box.where

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
        """A session in one transaction, committed on success, rolled back on error.

        On SQLite the write lock is taken first (``BEGIN IMMEDIATE``), waiting -- and trying
        again -- while other processes write, so a busy database delays a write instead of
        losing it.
        """
        session = self._write_session()
        try:
            yield session
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise StoreError(f"the change conflicts with stored data: {exc.orig}") from exc
        except DBAPIError as exc:
            session.rollback()
            raise StoreError(f"database error while writing: {exc.orig}") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def _write_session(self) -> Session:
        deadline = time.monotonic() + WRITE_LOCK_WAIT
        pause = 0.02
        while True:
            session = Session(self._writer, expire_on_commit=False)
            try:
                session.begin()
                session.connection()  # SQLite: BEGIN IMMEDIATE takes the write lock here
                return session
            except OperationalError as exc:
                session.close()
                if not _busy(exc) or time.monotonic() > deadline:
                    raise StoreError(f"database error while writing: {exc.orig}") from exc
            except BaseException:
                session.close()
                raise
            time.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, 0.5)

    def close(self) -> None:
        """Release the connections (the store can't be used afterwards)."""
        self._engine.dispose()

    def __repr__(self) -> str:
        # The URL may hold a password: show it masked.
        return f"Store({self._engine.url.render_as_string(hide_password=True)!r})"

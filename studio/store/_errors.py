"""Errors raised by the store. Plain data: no I/O in constructors."""

from __future__ import annotations


class StoreError(Exception):
    """Something about stored data is wrong; the message says what to fix."""


class NotFound(StoreError, LookupError):
    """A named item does not exist. ``kind`` is e.g. ``"template"``, ``name`` its name or id."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name!r} not found")
        self.kind = kind
        self.name = name


class AlreadyExists(StoreError):
    """A name is already taken."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"{kind} {name!r} already exists; pick another name")
        self.kind = kind
        self.name = name


class Forbidden(StoreError, PermissionError):
    """The actor may not do this (not the owner, not an administrator); says who may."""


class LeaseLost(StoreError):
    """This process no longer holds the run (its lease expired and another took the run
    over): it must stop working on it and write nothing more."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"run {run_id!r} is no longer held by this process")
        self.run_id = run_id


class SchemaTooNew(StoreError):
    """The database was written by a newer Roundtable Studio than this one."""

    def __init__(self, database_version: str, code_version: str) -> None:
        super().__init__(
            f"the database schema is at revision {database_version}, which this Roundtable "
            f"Studio does not know (it knows up to {code_version}); upgrade roundtable-studio "
            "(pip install -U roundtable-studio) or point it at another database"
        )
        self.database_version = database_version
        self.code_version = code_version

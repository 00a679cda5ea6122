"""Fixtures for the store tests: a fresh database per test, on SQLite AND PostgreSQL.

PostgreSQL comes from $ROUNDTABLE_TEST_PG_URL, else the server `scripts/setup_postgres.sh`
starts (127.0.0.1:54329, role/db `roundtable`). When it is not reachable and we are root,
the script is run once per session. If that still fails, the PostgreSQL tests FAIL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.store import Store
from tests.support.services import ServiceMissing, fresh_pg_database, postgres_admin_url


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    try:
        return postgres_admin_url()
    except ServiceMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_pg_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'data' / 'roundtable.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh database of each kind."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()

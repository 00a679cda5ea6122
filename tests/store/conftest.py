"""Fixtures for the store tests: a fresh database per test, on SQLite AND PostgreSQL.

PostgreSQL comes from $ROUNDTABLE_TEST_PG_URL, else the server `scripts/setup_postgres.sh`
starts (127.0.0.1:54329, role/db `roundtable`). When it is not reachable and we are root,
the script is run once per session. If that still fails, the PostgreSQL tests FAIL.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from studio.store import Store

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "scripts" / "setup_postgres.sh"
DEFAULT_PG_URL = "postgresql+psycopg2://roundtable:roundtable@127.0.0.1:54329/roundtable"
HOW_TO = (
    f"PostgreSQL for the store tests is not reachable. Run `sudo {SETUP_SCRIPT}` "
    "(installs and starts PostgreSQL on 127.0.0.1:54329) or set ROUNDTABLE_TEST_PG_URL to a "
    "postgresql+psycopg2:// URL of a role that may CREATE DATABASE."
)


def _reachable(url: str) -> str | None:
    """None when we can connect, else the error text."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).strip().splitlines()[0]
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    url = os.environ.get("ROUNDTABLE_TEST_PG_URL", DEFAULT_PG_URL)
    error = _reachable(url)
    if error and os.geteuid() == 0 and "ROUNDTABLE_TEST_PG_URL" not in os.environ:
        done = subprocess.run(
            ["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=600
        )
        if done.returncode != 0:
            pytest.fail(f"{HOW_TO}\nsetup_postgres.sh failed:\n{done.stderr[-2000:]}")
        error = _reachable(url)
    if error:
        pytest.fail(f"{HOW_TO}\nLast error: {error}")
    return url


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"rt_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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

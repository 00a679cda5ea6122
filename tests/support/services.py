"""The loopback services tests need: PostgreSQL and Redis, started by the project's scripts.

PostgreSQL comes from $ROUNDTABLE_TEST_PG_URL, else the server `scripts/setup_postgres.sh`
starts (127.0.0.1:54329, role/db `roundtable`); Redis from $ROUNDTABLE_TEST_REDIS_URL, else
the server `scripts/setup_redis.sh` starts (127.0.0.1:63790). When one is not reachable and
we are root, its script is run once per session; if that still fails, the tests that need
it FAIL (they are part of the product).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL = "postgresql+psycopg2://roundtable:roundtable@127.0.0.1:54329/roundtable"
DEFAULT_REDIS_URL = "redis://127.0.0.1:63790/0"


class ServiceMissing(RuntimeError):
    pass


def _pg_reachable(url: str) -> str | None:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).strip().splitlines()[0]
    finally:
        engine.dispose()


def _redis_reachable(url: str) -> str | None:
    from redis import Redis

    try:
        Redis.from_url(url, socket_connect_timeout=3).ping()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).strip().splitlines()[0]


def _ensure(env: str, default: str, script: str, reachable: Callable[[str], str | None],
            how_to: str) -> str:
    url = os.environ.get(env, default)
    error = reachable(url)
    if error and os.geteuid() == 0 and env not in os.environ:
        done = subprocess.run(["bash", str(ROOT / "scripts" / script)], capture_output=True,
                              text=True, timeout=600)
        if done.returncode != 0:
            raise ServiceMissing(f"{how_to}\n{script} failed:\n{done.stderr[-2000:]}")
        error = reachable(url)
    if error:
        raise ServiceMissing(f"{how_to}\nLast error: {error}")
    return url


def postgres_admin_url() -> str:
    return _ensure("ROUNDTABLE_TEST_PG_URL", DEFAULT_PG_URL, "setup_postgres.sh", _pg_reachable,
                   "PostgreSQL for the tests is not reachable. Run `sudo scripts/setup_postgres.sh` "
                   "(installs and starts PostgreSQL on 127.0.0.1:54329) or set "
                   "ROUNDTABLE_TEST_PG_URL to a postgresql+psycopg2:// URL of a role that may "
                   "CREATE DATABASE.")


def redis_base_url() -> str:
    return _ensure("ROUNDTABLE_TEST_REDIS_URL", DEFAULT_REDIS_URL, "setup_redis.sh",
                   _redis_reachable,
                   "Redis for the tests is not reachable. Run `sudo scripts/setup_redis.sh` "
                   "(installs and starts redis-server on 127.0.0.1:63790) or set "
                   "ROUNDTABLE_TEST_REDIS_URL.")


@contextmanager
def fresh_pg_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    name = f"rt_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: sa.Engine, name: str) -> None:
    """Drop the database. PostgreSQL's own autovacuum may be visiting it, which our role may
    not terminate: then try again once it has moved on."""
    import time

    for attempt in range(40):
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except sa.exc.ProgrammingError as exc:
            if "pg_signal_backend" not in str(exc) or attempt == 39:
                raise
            time.sleep(0.25)


@contextmanager
def fresh_redis_database(base_url: str) -> Iterator[str]:
    """An empty database of the test server (16-63, chosen at random among the empty ones
    so that tests running at the same time never share a queue), emptied afterwards."""
    import random

    from redis import Redis

    for number in random.sample(range(16, 64), 48):
        url = base_url.rsplit("/", 1)[0] + f"/{number}"
        client = Redis.from_url(url)
        if client.set("roundtable:test:taken", "1", nx=True) and client.dbsize() == 1:
            break
        client.close()
    else:
        raise ServiceMissing("no empty Redis database (16-63) is left on the test server")
    try:
        yield url
    finally:
        client.flushdb()
        client.close()

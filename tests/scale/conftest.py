"""Scale-out harness: Redis and PostgreSQL from the project's scripts, Celery workers and
studio-side processes as real processes (no fake broker, no eager mode), per test: most tests
start their own workers, kill one, or need none to be up (see tests/support/workers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.runs import TRANSIENT_KINDS
from tests.support.services import fresh_pg_database, fresh_redis_database
from tests.support.workers import Processes, pg_admin, redis_base, scaled_out


@pytest.fixture
def broker() -> Iterator[str]:
    with fresh_redis_database(redis_base()) as url:
        yield url


@pytest.fixture
def pg_db() -> Iterator[str]:
    with fresh_pg_database(pg_admin()) as url:
        yield url


@pytest.fixture
def processes(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Processes]:
    with scaled_out(tmp_path, request) as procs:
        yield procs


def shape(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a transcript says, without times, ids or where it ran."""
    out = []
    for e in events:
        kind = e.get("type")
        if kind in TRANSIENT_KINDS or kind == "notice":
            continue
        message = e.get("message") or {}
        out.append((kind, e.get("chat_id"), e.get("sender") or e.get("agent") or e.get("speaker"),
                    e.get("recipient"), message.get("content"), e.get("text"), e.get("reason"),
                    e.get("output"), e.get("exit_code")))
    return out

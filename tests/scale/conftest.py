"""Scale-out harness: Redis and PostgreSQL from the project's scripts, Celery workers and
studio-side processes as real processes (no fake broker, no eager mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.runs import TRANSIENT_KINDS
from studio.store import Store
from tests.support.services import (
    ServiceMissing,
    fresh_pg_database,
    fresh_redis_database,
    postgres_admin_url,
    redis_base_url,
)

ROOT = Path(__file__).resolve().parents[2]
LEASE_TTL = "5"  # seconds: a killed worker's runs move on this soon (the default is 15)


@pytest.fixture(scope="session")
def redis_base() -> str:
    try:
        return redis_base_url()
    except ServiceMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def pg_admin() -> str:
    try:
        return postgres_admin_url()
    except ServiceMissing as exc:
        pytest.fail(str(exc))


@pytest.fixture
def broker(redis_base: str) -> Iterator[str]:
    with fresh_redis_database(redis_base) as url:
        yield url


@pytest.fixture
def pg_db(pg_admin: str) -> Iterator[str]:
    with fresh_pg_database(pg_admin) as url:
        yield url


def process_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", ROUNDTABLE_LEASE_TTL=LEASE_TTL, **extra)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


class Processes:
    """Worker and studio-side processes of one test; all stopped at its end."""

    def __init__(self, tmp: Path, db: str, broker: str) -> None:
        self.tmp, self.db, self.broker = tmp, db, broker
        self.data = tmp / "data"
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def _spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=process_env(),
                                    stdout=out, stderr=subprocess.STDOUT)
        self.started.append((proc, log))
        return proc

    def worker(self, concurrency: int = 16) -> subprocess.Popen[bytes]:
        index = sum(1 for _p, log in self.started if log.name.startswith("worker"))
        return self._spawn(["-m", "studio", "worker", "--broker", self.broker, "--db-url", self.db,
                            "--data-dir", str(self.data), "--concurrency", str(concurrency),
                            "--name", f"w{index}"], f"worker{index}")

    def workers(self, count: int, concurrency: int = 16) -> list[subprocess.Popen[bytes]]:
        procs = [self.worker(concurrency) for _ in range(count)]
        store = Store.open(self.db)
        deadline = time.monotonic() + 90
        while len(store.live_leases("worker")) < count:
            for proc, log in self.started:
                if proc.poll() is not None:
                    pytest.fail(f"a worker exited ({proc.returncode}):\n{self.tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail("the workers did not start within 90 s:\n" + self.logs())
            time.sleep(0.1)
        store.close()
        return procs

    def studio_side(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        return self._spawn(["-m", "tests.support.studio_side", *args, "--db", self.db,
                            "--broker", self.broker, "--data", str(self.data)], name)

    def wait(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"a process did not finish within {timeout:.0f} s:\n{self.logs()}")
        if proc.returncode != 0:
            pytest.fail(f"a process failed ({proc.returncode}):\n{self.logs()}")

    @staticmethod
    def tail(log: Path, lines: int = 30) -> str:
        try:
            return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{self.tail(log)}" for _p, log in self.started)

    def stop(self) -> None:
        for proc, _log in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _log in self.started:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def processes(tmp_path: Path, pg_db: str, broker: str) -> Iterator[Processes]:
    procs = Processes(tmp_path, pg_db, broker)
    try:
        yield procs
    finally:
        procs.stop()


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

"""Celery workers (`roundtable worker`) and studio-side processes as real processes, on a fresh
PostgreSQL database and a fresh Redis database of the services in ``services.py``.

    with scaled_out(tmp_path) as cluster:       # its own PostgreSQL db and Redis db
        cluster.workers(2)                       # started, and waited for (their leases)
        manager = cluster.manager()              # a studio's RunManager on the same db/broker
    # every process gets SIGTERM, then SIGKILL after 20 s; the dbs are dropped

Each process writes its log to ``<tmp>/<name>.log`` (kept with the test's tmp dir);
``logs()`` gives their tails for failure messages, ``keep_logs(dir)`` copies them whole.
No fake broker and no eager mode: the workers are the product's own command.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from studio.runs import RunManager
from studio.spec import Registry
from studio.store import Store
from tests.support.services import (
    ServiceMissing,
    fresh_pg_database,
    fresh_redis_database,
    postgres_admin_url,
    redis_base_url,
)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
LEASE_TTL = "5"  # seconds: a killed worker's runs move on this soon (the default is 15)
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 20.0


@functools.cache
def _service(which: str) -> str:
    try:
        return postgres_admin_url() if which == "postgres" else redis_base_url()
    except ServiceMissing as exc:  # the services are part of the product: FAIL, never skip
        pytest.fail(str(exc))


def pg_admin() -> str:
    """The admin URL of the tests' PostgreSQL (started by its script if need be), once."""
    return _service("postgres")


def redis_base() -> str:
    """The URL of the tests' Redis (started by its script if need be), once."""
    return _service("redis")


def process_env() -> dict[str, str]:
    """The environment of a spawned process: this one's (so a monkeypatched variable reaches
    it), unbuffered output, a short worker lease, and the checkout on the import path."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", ROUNDTABLE_LEASE_TTL=LEASE_TTL)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


class Processes:
    """The worker and studio-side processes of one test; ``stop()`` ends them all."""

    def __init__(self, tmp: Path, db: str, broker: str | None) -> None:
        self.tmp, self.db, self.broker = tmp, db, broker
        self.data = tmp / "data"
        self.started: list[tuple[subprocess.Popen[bytes], Path]] = []

    def spawn(self, args: list[str], name: str) -> subprocess.Popen[bytes]:
        """``python ARGS`` in the checkout, its output in ``<tmp>/<name>.log``."""
        log = self.tmp / f"{name}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=process_env(),
                                    stdout=out, stderr=subprocess.STDOUT)
        self.started.append((proc, log))
        return proc

    def _workers(self) -> list[tuple[subprocess.Popen[bytes], Path]]:
        return [(p, log) for p, log in self.started if log.name.startswith("worker")]

    def worker(self, concurrency: int = 16) -> subprocess.Popen[bytes]:
        """Start one more worker; ``ready()`` waits for it."""
        index = len(self._workers())
        assert self.broker, "workers need a broker"
        return self.spawn(["-m", "studio", "worker", "--broker", self.broker, "--db-url", self.db,
                           "--data-dir", str(self.data), "--concurrency", str(concurrency),
                           "--name", f"w{index}"], f"worker{index}")

    def ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until every worker started holds its lease in the store (it takes runs then);
        fail with the logs if one exits or they are not up in ``timeout`` seconds."""
        count = len(self._workers())
        store = Store.open(self.db)
        try:
            deadline = time.monotonic() + timeout
            while len(store.live_leases("worker")) < count:
                for proc, log in self._workers():
                    if proc.poll() is not None:
                        pytest.fail(f"a worker exited ({proc.returncode}):\n{self.tail(log)}")
                if time.monotonic() > deadline:
                    pytest.fail(f"the workers did not start within {timeout:.0f} s:\n"
                                + self.logs())
                time.sleep(0.1)  # polling the store for the workers' leases
        finally:
            store.close()

    def workers(self, count: int, concurrency: int = 16) -> list[subprocess.Popen[bytes]]:
        """Start ``count`` workers and wait until they are ready."""
        procs = [self.worker(concurrency) for _ in range(count)]
        self.ready()
        return procs

    def studio_side(self, *args: str, name: str) -> subprocess.Popen[bytes]:
        """``tests.support.studio_side`` on this db, broker and data dir."""
        broker = ["--broker", self.broker] if self.broker else []
        return self.spawn(["-m", "tests.support.studio_side", *args, "--db", self.db, *broker,
                           "--data", str(self.data)], name)

    def manager(self, store: Store | None = None, **options: Any) -> RunManager:
        """A studio process's RunManager on this db and broker (its own store unless given)."""
        return RunManager(store or Store.open(self.db), Registry.bundled(), data_dir=self.data,
                          broker=self.broker, **options)

    def wait(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        """Wait for a process to end, and fail with the logs unless it ended well in time."""
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
        """The tail of every process's log, for a failure message."""
        return "\n".join(f"--- {log.name}\n{self.tail(log)}" for _p, log in self.started)

    def keep_logs(self, into: Path) -> None:
        """Copy every process's whole log into ``into`` (for a failed test's artifacts)."""
        into.mkdir(parents=True, exist_ok=True)
        for _proc, log in self.started:
            if log.exists():
                shutil.copyfile(log, into / log.name)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM to all (a worker's warm shutdown), SIGKILL to any still up after
        ``timeout`` seconds."""
        for proc, _log in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _log in self.started:
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def failed(request: pytest.FixtureRequest) -> bool:
    """Whether the test that asked for a fixture failed (see the hook in tests/conftest.py)."""
    report = getattr(request.node, "rep_call", None)
    return report is not None and report.failed


@contextmanager
def scaled_out(tmp: Path, request: pytest.FixtureRequest | None = None) -> Iterator[Processes]:
    """A ``Processes`` on a fresh PostgreSQL and Redis database (no worker started yet); all
    stopped and dropped afterwards. With ``request``, a failed test's logs are also copied
    whole to ``test-artifacts/<test>/``."""
    with fresh_pg_database(pg_admin()) as db, fresh_redis_database(redis_base()) as broker:
        procs = Processes(tmp, db, broker)
        try:
            yield procs
        finally:
            procs.stop()
            if request is not None and failed(request):
                procs.keep_logs(ARTIFACTS / request.node.name.replace("/", "_"))

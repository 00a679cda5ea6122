"""A studio that stays up marks the runs of dead processes interrupted as soon as it can tell:
at once for a process of this machine that was killed, at the lease's expiry for one it
cannot see; never a run whose process is alive."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from studio.runs import RunManager
from studio.store import Actor, Store

LOCAL = Actor.local()
ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "tests" / "store" / "_writer.py"


def wait_status(store: Store, run_id: str, status: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (now := store.get_run(LOCAL, run_id).status) != status:
        assert time.monotonic() < deadline, f"run stayed {now!r}, wanted {status!r}"
        time.sleep(0.05)


def sweeps(store: Store, manager: RunManager, count: int = 2) -> None:
    """Wait until the studio has swept ``count`` more times (each sweep follows a renewal
    of its lease)."""
    assert manager._heartbeat is not None
    lease = manager._heartbeat.lease_id

    def expiry() -> float:
        with store.engine.connect() as conn:
            return float(conn.execute(sa.text("SELECT expires_at FROM lease WHERE id = :id"),
                                      {"id": lease}).scalar_one())

    seen, renewals = expiry(), 0
    deadline = time.monotonic() + 30
    while renewals <= count:  # the renewal after the count-th sweep began
        assert time.monotonic() < deadline, "the studio's heartbeat stopped"
        time.sleep(0.05)
        if (now := expiry()) != seen:
            seen, renewals = now, renewals + 1


@pytest.fixture
def fast_beats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUNDTABLE_LEASE_TTL", "2")  # the studio's sweep runs every 0.4 s


def test_a_running_studio_marks_the_run_of_a_killed_process_at_once(fast_beats, make_manager,
                                                                    store: Store,
                                                                    data_dir: Path) -> None:
    studio = make_manager()  # up the whole time
    url = str(store.engine.url)
    child = subprocess.Popen([sys.executable, str(WRITER), "lease", url], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()  # held under a 10-minute lease
        sweeps(store, studio)  # a live holder's run is left alone
        assert store.get_run(LOCAL, run_id).status == "running"
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        wait_status(store, run_id, "interrupted", timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_lease_that_expires_while_the_studio_is_up_is_swept(fast_beats, make_manager,
                                                             store: Store) -> None:
    studio = make_manager()
    lease = store.open_lease("studio", 600)
    run_id = store.create_run(LOCAL, "T", {}, "task", holder=lease)
    with store.engine.begin() as conn:  # a process the studio cannot see (another host)
        conn.execute(sa.text("UPDATE lease SET machine = 'elsewhere' WHERE id = :id"),
                     {"id": lease})
    sweeps(store, studio)
    assert store.get_run(LOCAL, run_id).status == "running", "its lease still runs"
    store.renew_lease(lease, -1.0)  # it stops beating
    wait_status(store, run_id, "interrupted")

"""Process leases: a run belongs to the process whose heartbeat holds it, never to a host name."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from studio.store import Actor, LeaseLost, Store

LOCAL = Actor.local()
WRITER = Path(__file__).with_name("_writer.py")
ROOT = Path(__file__).resolve().parents[2]


def expire(store: Store, lease_id: str) -> None:
    """The process behind ``lease_id`` stops beating (its lease lapses)."""
    store.renew_lease(lease_id, -1.0)


def test_a_local_run_is_interrupted_only_once_its_holders_lease_has_expired(store: Store):
    alive = store.open_lease("studio", 60)
    run_id = store.create_run(LOCAL, "T", {}, "task", holder=alive)
    assert store.mark_interrupted_runs() == 0  # another process, alive: hands off
    assert store.get_run(LOCAL, run_id).status == "running"
    expire(store, alive)
    assert store.mark_interrupted_runs() == 1
    info = store.get_run(LOCAL, run_id)
    assert info.status == "interrupted" and "stopped" in info.reason
    # the holder was only late: its own end replaces the verdict
    store.finish_run(run_id, "finished", "termination message", holder=alive)
    assert store.get_run(LOCAL, run_id).status == "finished"


def test_fenced_writes_stop_once_another_process_holds_the_run(store: Store):
    first = store.open_lease("worker", 60)
    run_id = store.create_run(LOCAL, "T", {}, "task", mode="celery")
    assert store.get_run(LOCAL, run_id).status == "queued"
    assert store.claim_run(run_id, first)
    store.append_event(run_id, 1, "run_started", {}, holder=first)
    second = store.open_lease("worker", 60)
    assert not store.claim_run(run_id, second), "the first worker is alive"
    expire(store, first)
    assert store.release_orphaned_runs() == [run_id]
    assert store.release_orphaned_runs() == [], "released once"
    assert store.claim_run(run_id, second)
    with pytest.raises(LeaseLost):
        store.append_event(run_id, 2, "message", {}, holder=first)
    with pytest.raises(LeaseLost):
        store.finish_run(run_id, "finished", holder=first)
    store.append_event(run_id, 2, "message", {}, holder=second)
    assert [e.seq for e in store.run_events(LOCAL, run_id)] == [1, 2]
    assert store.mark_interrupted_runs() == 0, "runs on workers are taken over, never marked"
    store.finish_run(run_id, "finished", holder=second)
    assert not store.claim_run(run_id, second), "an ended run is not claimed again"


def test_queued_runs_wait_for_a_worker_and_one_claim_wins(store: Store):
    run_id = store.create_run(LOCAL, "T", {}, "task", mode="celery", options={"human": "never"})
    assert store.queued_runs() == [run_id]
    assert store.get_run(LOCAL, run_id).options == {"human": "never"}
    leases = [store.open_lease("worker", 60) for _ in range(3)]
    assert [store.claim_run(run_id, lease) for lease in leases] == [True, False, False]
    assert store.get_run(LOCAL, run_id).holder == leases[0]
    assert store.queued_runs() == []


def test_leases_live_renew_and_close(store: Store):
    lease = store.open_lease("studio", 0.5)
    assert store.lease_alive(lease) and lease in store.live_leases("studio")
    deadline = time.monotonic() + 10
    while store.lease_alive(lease):  # it lapses by itself without a heartbeat
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert store.renew_lease(lease, 60) and store.lease_alive(lease)
    store.close_lease(lease)
    assert not store.lease_alive(lease) and not store.renew_lease(lease, 60)
    assert store.open_lease("studio", 60, lease) == lease  # opened again under its id


def _holder_process(store_url: str) -> tuple[subprocess.Popen[str], str]:
    """Another process on this machine holding a run under a 10-minute lease."""
    Store.open(store_url).close()  # migrated once, so the child only writes
    child = subprocess.Popen([sys.executable, str(WRITER), "lease", store_url], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT,
                             env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert child.stdout is not None
    return child, child.stdout.readline().strip()


def test_a_run_held_by_a_killed_process_on_this_machine_is_interrupted_at_once(store_url: str):
    child, run_id = _holder_process(store_url)
    store = Store.open(store_url)
    try:
        holder = store.get_run(LOCAL, run_id).holder
        assert store.mark_interrupted_runs() == 0, "its process is alive: hands off"
        assert store.lease_alive(holder)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        # its lease had ten minutes to go; the process is provably gone, so it ends now
        assert store.mark_interrupted_runs() == 1
        assert not store.lease_alive(holder)
        info = store.get_run(LOCAL, run_id)
        assert info.status == "interrupted" and "stopped" in info.reason
    finally:
        store.close()
        if child.poll() is None:
            child.kill()
            child.wait()


def test_a_pid_taken_by_a_newer_process_is_not_the_holder(store_url: str):
    child, run_id = _holder_process(store_url)
    store = Store.open(store_url)
    try:
        holder = store.get_run(LOCAL, run_id).holder
        with store.engine.begin() as conn:  # the pid now belongs to a process started later
            conn.execute(sa.text("UPDATE lease SET proc_start = proc_start - 1 WHERE id = :id"),
                         {"id": holder})
        assert store.expire_dead_leases() == [holder]
        assert store.mark_interrupted_runs() == 1
        assert store.get_run(LOCAL, run_id).status == "interrupted"
    finally:
        store.close()
        child.stdin.close()  # type: ignore[union-attr]
        child.wait(10)


def test_a_lease_from_another_machine_waits_for_its_expiry(store: Store):
    lease = store.open_lease("studio", 600)
    run_id = store.create_run(LOCAL, "T", {}, "task", holder=lease)
    with store.engine.begin() as conn:  # another host (or container) with a pid free here
        conn.execute(sa.text("UPDATE lease SET machine = 'another-boot/pid:[1]', pid = :pid "
                             "WHERE id = :id"), {"pid": _free_pid(), "id": lease})
    assert store.expire_dead_leases() == []
    assert store.mark_interrupted_runs() == 0 and store.lease_alive(lease)
    expire(store, lease)
    assert store.mark_interrupted_runs() == 1
    assert store.get_run(LOCAL, run_id).status == "interrupted"


def _free_pid() -> int:
    """A pid no process has now (one that just ended)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid

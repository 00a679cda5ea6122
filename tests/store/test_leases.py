"""Process leases: a run belongs to the process whose heartbeat holds it, never to a host name."""

from __future__ import annotations

import time

import pytest

from studio.store import Actor, LeaseLost, Store

LOCAL = Actor.local()


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

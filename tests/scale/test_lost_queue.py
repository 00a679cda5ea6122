"""A run waiting for a worker whose Celery message is lost (Redis flushed) does not stay
"queued" for ever: studios and workers mark it interrupted, saying why, once the message
has been missing for a while; a run whose message is still there waits as long as it must."""

from __future__ import annotations

import pytest
from redis import Redis

from studio.runs import RunManager
from studio.runs._sweep import LOST_REASON, LostRunSweep, messages_in_broker
from studio.spec import Registry, load_bundled_template
from studio.store import Actor, Store
from tests.support.processes import wait_until
from tests.support.workers import Processes

LOCAL = Actor.local()


def flush(url: str) -> None:
    """What `redis-cli FLUSHDB` does to the broker (the test's own marker key aside)."""
    client = Redis.from_url(url)
    for key in client.keys("*"):
        if key != b"roundtable:test:taken":
            client.delete(key)
    client.close()


def test_a_queued_run_whose_message_is_flushed_ends_interrupted_with_the_reason(
        broker: str, pg_db: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROUNDTABLE_LEASE_TTL", "2")  # the studio sweeps every 0.4 s
    monkeypatch.setenv("ROUNDTABLE_LOST_RUN_AFTER", "2")
    store = Store.open(pg_db)
    manager = RunManager(store, Registry.bundled(), data_dir=tmp_path, broker=broker)
    try:
        spec = load_bundled_template("research_write_review")
        run_id = manager.start(LOCAL, spec, "Bees.", template_name=spec.name, human="never")
        handle = manager.get(LOCAL, run_id)
        assert handle is not None and handle.status == "queued"
        # no worker is up: while its message waits in the queue, the run waits too
        redis = Redis.from_url(broker, decode_responses=True)
        assert messages_in_broker(redis) == {run_id}
        patient = LostRunSweep(store, redis, after=0.0)
        assert patient() == [] and patient() == []
        assert store.get_run(LOCAL, run_id).status == "queued"
        flush(broker)
        wait_until(lambda: store.get_run(LOCAL, run_id).status == "interrupted",
                 what="the studio's sweep")
        info = store.get_run(LOCAL, run_id)
        assert info.reason == LOST_REASON and info.finished_at is not None
        (last,) = [e for e in manager.transcript(LOCAL, run_id) if e["type"] == "run_finished"]
        assert (last["status"], last["reason"]) == ("interrupted", LOST_REASON)
        # a page that held the run live sees it end, with the reason
        wait_until(lambda: handle.done, what="the live handle to end")
        assert handle.status == "interrupted" and handle.reason == LOST_REASON
        assert manager.active(LOCAL) == []
    finally:
        manager.shutdown()
        store.close()


def test_a_worker_marks_a_run_that_never_reached_the_queue(processes: Processes,
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ROUNDTABLE_LOST_RUN_AFTER", "2")
    processes.workers(1)
    store = Store.open(processes.db)
    # recorded as waiting for a worker, but its message never reached Redis
    run_id = store.create_run(LOCAL, "Lost", {}, "task", mode="celery")
    wait_until(lambda: store.get_run(LOCAL, run_id).status == "interrupted",
             what="the worker's sweep")
    assert store.get_run(LOCAL, run_id).reason == LOST_REASON
    store.close()

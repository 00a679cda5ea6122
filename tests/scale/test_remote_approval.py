"""A code approval answered from a studio process reaches a run on a Celery worker as the
structured decision it is (approve / refuse with a reason / edited code), never as text."""

from __future__ import annotations

import time

from studio.engine import CodeDecision
from studio.runs import RunManager
from studio.spec import Registry, load_bundled_template
from studio.store import Actor, Store

from .conftest import Processes

LOCAL = Actor.local()


def wait_for(predicate, timeout: float = 90.0, what: str = "state") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_refusal_reaches_the_worker_as_a_decision(processes: Processes):
    processes.workers(1)
    store = Store.open(processes.db)
    manager = RunManager(store, Registry.bundled(), data_dir=processes.data,
                         broker=processes.broker)
    document = load_bundled_template("code_assistant").to_dict()
    document["agents"][0]["code_execution"]["approve"] = True
    run_id = manager.start(LOCAL, document, document["sample_tasks"][0], template_name="Approve first")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None
    wait_for(lambda: handle.pending is not None and handle.pending.kind == "code_approval",
             what="the code approval on the worker")
    assert "is_prime" in handle.pending.blocks[0].code, "the code asking to run travels too"
    handle.answer(CodeDecision.refuse("ok"))  # a reason that used to read as consent
    wait_for(lambda: any(e["type"] == "message" and "Reason: ok" in (e["message"]["content"] or "")
                         for e in handle.events_since(0)), what="the refusal in the run")
    handle.cancel()
    wait_for(lambda: handle.done, what="the run to stop")
    events = [e.data for e in store.run_events(LOCAL, run_id)]
    decisions = [e["decision"] for e in events if e["type"] == "human_input_received"]
    assert decisions[0] == {"action": "refuse", "reason": "ok", "code": ""}
    assert not any(e["type"] == "code_executed" for e in events)
    manager.shutdown()
    store.close()

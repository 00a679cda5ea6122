"""Runs on Celery workers over Redis, with several studio processes on one PostgreSQL:
every event stored once and in order, runs that survive a worker's kill -9, and controls
that reach a run from another studio process."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from studio.runs import TRANSIENT_KINDS, RunManager, find_template
from studio.spec import Registry
from studio.store import Actor, Store
from tests.support.workers import Processes

from .conftest import shape

LOCAL = Actor.local()

TEMPLATE = "research_write_review"
TASK = "Write a short note on why bees matter."


def reference(tmp_path: Path, template: str = TEMPLATE) -> list[tuple[Any, ...]]:
    """The transcript the in-process runner gives for the same run."""
    store = Store.open(data_dir=tmp_path / "reference")
    manager = RunManager(store, Registry.bundled(), data_dir=tmp_path / "reference")
    name, spec = find_template(template, store=None, registry=manager.registry)
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, TASK, template_name=name, human="never"))
    assert handle is not None and handle.wait(60) and handle.status == "finished"
    events = manager.transcript(LOCAL, handle.run_id)
    manager.shutdown()
    return shape(events)


def stored(store: Store, run_id: str) -> list[dict[str, Any]]:
    return [{**e.data, "seq": e.seq} for e in store.run_events(LOCAL, run_id)]


def assert_once_and_in_order(events: list[dict[str, Any]]) -> None:
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(set(seqs)), "each event once, in order"


def test_hundred_runs_through_two_workers_and_two_studio_processes(processes: Processes,
                                                                   tmp_path: Path):
    expected = reference(tmp_path)
    processes.workers(2)
    outs = [tmp_path / "studio_a.json", tmp_path / "studio_b.json"]
    studios = [processes.studio_side("start", "--template", TEMPLATE, "--task", TASK,
                                     "--count", "50", "--expect", "100", "--out", str(out),
                                     name=f"studio{i}")
               for i, out in enumerate(outs)]
    for studio in studios:
        processes.wait(studio, timeout=360)
    store = Store.open(processes.db)
    runs = store.list_runs(LOCAL, limit=200)
    assert len(runs) == 100
    assert {r.status for r in runs} == {"finished"}, processes.logs()
    for out in outs:  # each studio process saw every run live, its own and the other's
        live = json.loads(out.read_text())
        assert set(live) == {r.id for r in runs}
        for run_id, seen in live.items():
            kept = stored(store, run_id)
            assert_once_and_in_order(seen)
            assert [e for e in seen if e["type"] not in TRANSIENT_KINDS] == kept  # same order
            assert shape(kept) == expected, f"run {run_id} differs from the in-process run"


def test_kill_9_a_worker_during_twenty_runs(processes: Processes, tmp_path: Path):
    expected = {"research_write_review": reference(tmp_path / "a", "research_write_review"),
                "code_assistant": reference(tmp_path / "b", "code_assistant")}
    victim, _survivor = processes.workers(2)
    store = Store.open(processes.db)
    manager = processes.manager(store, demo_token_delay=0.02)
    started = {}
    for i in range(20):
        key = "code_assistant" if i % 4 == 0 else "research_write_review"
        name, spec = find_template(key, store=None, registry=manager.registry)
        started[manager.start(LOCAL, spec, TASK, template_name=name, human="never")] = key
    victim_lease = next(lease for lease in store.live_leases("worker") if f"-{victim.pid}-" in lease)

    def in_flight_on_victim() -> int:
        return sum(1 for run_id in started if store.get_run(LOCAL, run_id).holder == victim_lease
                   and store.get_run(LOCAL, run_id).status == "running"
                   and sum(e.kind == "message" for e in store.run_events(LOCAL, run_id)) >= 2)

    deadline = time.monotonic() + 120
    while in_flight_on_victim() < 3:
        assert time.monotonic() < deadline, "the victim never had three runs going"
        time.sleep(0.1)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    for run_id in started:
        handle = manager.get(LOCAL, run_id)
        if handle is not None:
            assert handle.wait(max(10.0, 240 - (time.monotonic() - killed_at))), processes.logs()
    resumed = 0
    for run_id, template in started.items():
        info = store.get_run(LOCAL, run_id)
        events = stored(store, run_id)
        assert_once_and_in_order(events)
        notices = [e for e in events if e["type"] == "notice"]
        resumed += bool(notices)
        assert info.status in ("finished", "interrupted"), (run_id, info.status, info.reason)
        if info.status == "interrupted":  # code was running when the worker died
            assert template == "code_assistant" and "was running code" in info.reason
            assert notices and events[-1]["type"] == "run_finished"
            continue
        assert shape(events) == expected[template], f"{template} run {run_id} differs"
        if notices:
            assert "Resumed on another worker" in notices[0]["text"]
    assert resumed >= 3, "the killed worker's runs went on elsewhere"
    assert store.count_runs(LOCAL) == 20
    manager.shutdown()


def test_controls_from_another_studio_process_reach_a_run_on_a_worker(processes: Processes,
                                                                    tmp_path: Path):
    processes.workers(1)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    name, spec = find_template("human_in_the_loop", store=None, registry=manager.registry)
    run_id = manager.start(LOCAL, spec, spec.default_task, template_name=name)
    out = tmp_path / "control.json"
    other = processes.studio_side("control", "--run", run_id, "--out", str(out), name="studio_b")
    processes.wait(other, timeout=180)
    measured = json.loads(out.read_text())
    assert measured["status"] == "cancelled"
    assert measured["stop_seconds"] <= 2.0, measured  # stop shows within 2 s, as in-process
    events = stored(store, run_id)
    answers = [e["text"] for e in events if e["type"] == "human_input_received"]
    assert answers[0] == "Keep it short, please."
    said = [e["message"]["content"] for e in events if e["type"] == "message"]
    assert "Also mention the demo on Wednesday." in said
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "cancelled"
    assert store.get_run(LOCAL, run_id).status == "cancelled"
    # this process saw it too, through the same handle surface the pages use
    assert manager.get(LOCAL, run_id) is None and manager.transcript(LOCAL, run_id) == events


def test_a_message_a_run_on_a_worker_ended_before_is_recorded(processes: Processes) -> None:
    """Step in while the worker's run waits for the person, then end it with the answer:
    the interjection (sent through Redis) comes back as a notice carrying its text."""
    processes.workers(1)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    try:
        name, spec = find_template("human_in_the_loop", store=None, registry=manager.registry)
        run_id = manager.start(LOCAL, spec, spec.default_task, template_name=name)
        handle = manager.get(LOCAL, run_id)
        deadline = time.monotonic() + 90
        while handle is None or handle.pending is None:
            assert time.monotonic() < deadline, store.get_run(LOCAL, run_id).status
            time.sleep(0.1)  # polling, as another studio process would
            handle = manager.get(LOCAL, run_id)
        handle.interject("Sign it from the whole team.")
        handle.answer("exit")
        assert handle.wait(60) and handle.status == "finished"
        events = stored(store, run_id)
        notes = [e for e in events if e["type"] == "notice" and e.get("kind") == "undelivered"]
        assert [e["undelivered"] for e in notes] == ["Sign it from the whole team."]
        assert "interjection" not in [e["type"] for e in events]
        assert events[-1]["type"] == "run_finished"
    finally:
        manager.shutdown()
        store.close()


def test_a_question_nobody_answers_stops_a_run_on_a_worker(processes: Processes) -> None:
    processes.workers(1)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    try:
        name, spec = find_template("human_in_the_loop", store=None, registry=manager.registry)
        run_id = manager.start(LOCAL, spec, spec.default_task, template_name=name,
                               answer_timeout=1.0)
        deadline = time.monotonic() + 90
        while store.get_run(LOCAL, run_id).status != "cancelled":
            assert time.monotonic() < deadline, store.get_run(LOCAL, run_id).status
            time.sleep(0.1)  # polling the store, as another studio process would
        assert store.get_run(LOCAL, run_id).reason == "no answer"
        events = stored(store, run_id)
        assert [e["type"] for e in events].count("human_input_requested") == 1
        assert any(e["type"] == "notice" and e["text"].startswith("Nobody answered within 1 "
                                                                  "second.") for e in events)
    finally:
        manager.shutdown()
        store.close()

"""Continue and fork with the studio on Celery workers: the new run is handed to a worker,
which rebuilds the conversation from the stored copy exactly as it does when it resumes a
run, and goes on live; a worker that dies during the follow-up leaves it to another one."""

from __future__ import annotations

import os
import signal
import time

from studio.runs import LINEAGE, RunManager, continue_run, fork_points, fork_run
from studio.spec import load_bundled_template
from studio.store import Actor, Store
from tests.support.workers import Processes

LOCAL = Actor.local()


def said(store: Store, run_id: str) -> list[tuple[str, str]]:
    return [(e.data["sender"], e.data["message"]["content"] or "")
            for e in store.run_events(LOCAL, run_id) if e.kind == "message"]


def kinds(store: Store, run_id: str) -> list[str]:
    return [e.kind for e in store.run_events(LOCAL, run_id)]


def finished(manager: RunManager, run_id: str, timeout: float = 120) -> None:
    handle = manager.get(LOCAL, run_id)
    if handle is not None:
        assert handle.wait(timeout), f"run {run_id} did not end"
    info = manager.store.get_run(LOCAL, run_id)
    assert info.status == "finished", (info.status, info.reason)


def first_run(manager: RunManager, name: str, task: str | None = None) -> str:
    spec = load_bundled_template(name)
    run_id = manager.start(LOCAL, spec, task or spec.default_task, template_name=spec.name,
                           human="never")
    finished(manager, run_id)
    return run_id


def seqs_once_in_order(store: Store, run_id: str) -> None:
    seqs = [e.seq for e in store.run_events(LOCAL, run_id)]
    assert seqs == sorted(set(seqs))


def test_continue_and_fork_run_on_a_worker(processes: Processes):
    processes.workers(1)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    first = first_run(manager, "teacher_student", "What is a fraction, really?")
    before = said(store, first)

    second = continue_run(manager, LOCAL, first, "Can you give me one more example?",
                          human="never")
    assert store.get_run(LOCAL, second).mode == "celery"
    finished(manager, second)
    after = said(store, second)
    assert after[:len(before)] == before, "the old conversation is copied, word for word"
    assert after[len(before)] == ("student", "Can you give me one more example?")
    assert after[len(before) + 1][0] == "teacher" and after[len(before) + 1][1].strip()
    assert said(store, first) == before, "the old run is left as it was"
    assert "notice" not in kinds(store, second), "a first start is no resume"
    (note,) = [e.data for e in store.run_events(LOCAL, second) if e.kind == LINEAGE]
    assert (note["kind"], note["from_run"]) == ("continue", first)
    seqs_once_in_order(store, second)

    debate = first_run(manager, "debate_judge")
    assert [p.sender for p in fork_points(manager, LOCAL, debate)[:2]] == ["moderator",
                                                                          "proponent"]
    forked = fork_run(manager, LOCAL, debate, 1, "Opening, for the motion: homework steals play.",
                      human="never")
    finished(manager, forked)
    old, new = said(store, debate), said(store, forked)
    assert new[0] == old[0]
    assert new[1] == ("proponent", "Opening, for the motion: homework steals play.")
    assert [s for s, _ in new[2:]] == [s for s, _ in old[2:]], "the rest is played live"
    seqs_once_in_order(store, forked)
    manager.shutdown()


def test_a_continued_run_goes_on_when_its_worker_dies(processes: Processes):
    victim, _other = processes.workers(2)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    first = first_run(manager, "brainstorm")
    before = said(store, first)
    slow = processes.manager(store, demo_token_delay=0.05)
    second = continue_run(slow, LOCAL, first, "Which idea should we try first, and why?",
                          human="never")
    copied = len(before) + 1  # the copy and the follow-up

    def running_with_followup() -> str | None:
        """The holder of the run once the follow-up is stored and the reply is not yet."""
        info = store.get_run(LOCAL, second)
        if info.status == "running" and info.holder and len(said(store, second)) == copied:
            return info.holder
        assert len(said(store, second)) <= copied, "the reply came before the worker was seen"
        return None

    deadline = time.monotonic() + 120
    while (holder := running_with_followup()) is None:
        assert time.monotonic() < deadline, "the continued run never got going"
        time.sleep(0.05)
    pid = next(p.pid for p in (victim, _other) if f"-{p.pid}-" in holder)
    os.kill(pid, signal.SIGKILL)
    finished(manager, second, timeout=180)
    after = said(store, second)
    assert after[:len(before)] == before
    assert after[len(before)] == ("user", "Which idea should we try first, and why?")
    assert len(after) > copied and after[copied][0] != "user" and after[copied][1].strip(), \
        "the worker that took over answered the follow-up"
    assert after.count(("user", "Which idea should we try first, and why?")) == 1, \
        "the follow-up is sent once, not again by the worker that took over"
    notices = [e.data["text"] for e in store.run_events(LOCAL, second) if e.kind == "notice"]
    assert len(notices) == 1 and "Resumed on another worker" in notices[0]
    seqs_once_in_order(store, second)
    manager.shutdown()
    slow.shutdown()

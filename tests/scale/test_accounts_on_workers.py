"""Accounts meet workers: a run on a Celery worker is seen, stopped and listed by the same
people as a run in the studio's own process; a worker builds a member's team as that member
(their private model, their key, bound to its host); budgets count runs on workers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from cryptography.fernet import Fernet

from studio.runs import BudgetExceeded, RunError, RunManager, configuration_notes
from studio.spec import SpecError, load_bundled_template
from studio.store import Actor, Budget, ModelConfig, NotFound, Store, actor_of
from tests.support.oai_server import OAIServer, text
from tests.support.processes import wait_until
from tests.support.workers import Processes

LOCAL = Actor.local()
PASSWORD = "correct horse battery"
KEY = "sk-member-0123456789abcdefWXYZ"


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """One secret key for the studios and the workers (as compose.yaml gives them)."""
    monkeypatch.setenv("ROUNDTABLE_SECRET_KEY", Fernet.generate_key().decode())


@pytest.fixture
def people(processes: Processes) -> tuple[Actor, Actor, Actor]:
    store = Store.open(processes.db)
    admin = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    a = actor_of(store.create_account(admin, "ann", PASSWORD))
    b = actor_of(store.create_account(admin, "bob", PASSWORD))
    store.close()
    return admin, a, b


def waiting_run(manager: RunManager, actor: Actor) -> str:
    spec = load_bundled_template("human_in_the_loop")
    run_id = manager.start(actor, spec, "Draft an email.", template_name=spec.name)
    handle = manager.get(actor, run_id)
    assert handle is not None
    wait_until(lambda: handle.status == "waiting", what=f"{actor.name}'s run to ask")
    return run_id


def test_a_members_run_on_a_worker_is_invisible_and_unstoppable_for_another(
        processes: Processes, people) -> None:
    admin, a, b = people
    processes.workers(1)
    first, second = processes.manager(), processes.manager()  # two studios
    try:
        run_a = waiting_run(first, a)
        run_b = waiting_run(first, b)
        for manager in (first, second):  # a cached handle, and a studio that never saw it
            assert manager.get(b, run_a) is None
            assert [h.run_id for h in manager.active(b)] == [run_b]
            with pytest.raises(NotFound):
                manager.transcript(b, run_a)
            with pytest.raises(RunError, match="not yours to stop"):
                manager.stop(b, run_a)
            with pytest.raises(NotFound):
                manager.delete(b, run_a)
        handle = second.get(a, run_a)
        assert handle is not None and handle.status == "waiting", "B's attempts did nothing"
        assert second.transcript(a, run_a)
        # the administrator sees both, with their owners' names, and stops either
        assert {h.run_id for h in second.active(admin)} == {run_a, run_b}
        assert {h.owner_name for h in second.active(admin)} == {"ann", "bob"}
        second.stop(admin, run_a)
        wait_until(lambda: handle.done, what="the administrator's stop to reach the worker")
        assert handle.status == "cancelled"
        assert first.store.get_run(admin, run_a).status == "cancelled"
        assert second.get(b, run_b).status == "waiting"  # type: ignore[union-attr]
        second.stop(b, run_b)  # one's own run: yes
        wait_until(lambda: first.store.get_run(b, run_b).status == "cancelled",
                 what="B's own stop")
    finally:
        for manager in (first, second):
            manager.shutdown()
            manager.store.close()


def member_template(model: str) -> dict[str, Any]:
    return {
        "format": 1, "name": "member pair",
        "models": {"main": {"preset": model}},
        "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never",
                    "max_consecutive_auto_reply": 1},
                   {"name": "assistant", "kind": "assistant", "model": "main"}],
        "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 1,
                    "edges": [{"source": "user", "target": "assistant"}]},
        "sample_tasks": ["Say hello."],
    }


def test_a_worker_runs_a_members_team_as_the_member_within_their_budget(
        secret_key, processes: Processes, people) -> None:
    admin, a, b = people
    processes.workers(1)
    manager = processes.manager()
    store = manager.store
    try:
        with OAIServer() as server:
            # A's own model and key, private to A, the key bound to this loopback host
            store.set_secret(a, "ann-key", KEY, base_url=server.base_url)
            store.save_model_config(a, ModelConfig(name="ann-model", model="test-model",
                                                   base_url=server.base_url,
                                                   api_key_secret="ann-key"))
            with pytest.raises(SpecError, match="unknown model preset 'ann-model'"):  # A's own
                manager.start(b, member_template("ann-model"), "Hi", template_name="taken")
            server.push(text("Hello from the member's model.", usage=(700, 500)))
            run_id = manager.start(a, member_template("ann-model"), "Say hello.",
                                   template_name="mine")
            handle = manager.get(a, run_id)
            assert handle is not None and handle.wait(90), "the run on the worker ended"
            assert handle.status == "finished", handle.error
            auth = {r.headers.get("authorization") for r in server.chat_requests()}
            assert auth == {f"Bearer {KEY}"}, "the worker used A's key, at A's host"

            # a run going on a worker stops once the member's day reaches the budget
            store.set_budget(admin, "ann", Budget(tokens_per_day=1500))
            server.push(*[text(f"Point {i}.", usage=(100, 200)) for i in range(20)])
            talk = copy.deepcopy(member_template("ann-model"))
            talk["agents"] = [{"name": "a", "kind": "assistant", "model": "main"},
                              {"name": "b", "kind": "assistant", "model": "main"}]
            talk["pattern"] = {"kind": "two_agent", "starter": "a", "max_turns": 8,
                               "edges": [{"source": "a", "target": "b"}]}
            long_id = manager.start(a, talk, "Discuss.", template_name="talk")
            wait_until(lambda: store.get_run(a, long_id).status == "cancelled",
                     what="the budget to stop the run on the worker")
            info = store.get_run(a, long_id)
            assert (info.reason, info.total_tokens) == ("budget reached", 300)
            assert any(e["type"] == "notice" and e["text"].startswith("Budget reached")
                       for e in manager.transcript(a, long_id))
        said = [e["message"]["content"] for e in manager.transcript(a, run_id)
                if e["type"] == "message"]
        assert "Hello from the member's model." in said
        assert store.get_run(a, run_id).total_tokens == 1200

        # budgets hold for runs on workers: tokens per day...
        store.set_budget(admin, "ann", Budget(tokens_per_day=1000))
        with pytest.raises(BudgetExceeded, match=r"used 1,500 tokens in the last 24 hours"):
            manager.start(a, member_template("ann-model"), "Again", template_name="mine")
        # ...and runs at a time, queued or going on a worker
        store.set_budget(admin, "bob", Budget(concurrent_runs=1))
        first = waiting_run(manager, b)
        with pytest.raises(BudgetExceeded, match="you have 1 run going and may run 1"):
            waiting_run(manager, b)
        manager.stop(b, first)
        wait_until(lambda: store.get_run(b, first).status == "cancelled", what="the stop")
        second = waiting_run(manager, b)  # room again
        manager.stop(b, second)
        wait_until(lambda: store.get_run(b, second).status == "cancelled", what="the stop")
    finally:
        manager.shutdown()
        store.close()


def test_budget_counts_a_run_still_waiting_for_a_worker(processes: Processes, people) -> None:
    """No worker is up: the queued run counts against the concurrent-runs budget."""
    admin, _a, b = people
    manager = processes.manager()
    try:
        manager.store.set_budget(admin, "bob", Budget(concurrent_runs=1))
        spec = copy.deepcopy(load_bundled_template("human_in_the_loop"))
        run_id = manager.start(b, spec, "Draft.", template_name=spec.name)
        assert manager.get(b, run_id).status == "queued"  # type: ignore[union-attr]
        with pytest.raises(BudgetExceeded, match="1 run going"):
            manager.start(b, spec, "Draft.", template_name=spec.name)
        manager.stop(b, run_id)
    finally:
        manager.shutdown()
        manager.store.close()


def test_studios_and_workers_on_postgresql_are_told_to_share_the_secret_key(
        pg_db: str, broker: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROUNDTABLE_SECRET_KEY", raising=False)
    store = Store.open(pg_db, data_dir=tmp_path)
    try:
        (note,) = configuration_notes(store, broker)
        assert str(tmp_path / "secret.key") in note and "ROUNDTABLE_SECRET_KEY" in note
        assert configuration_notes(store, None) == []  # one process: nothing to share
        monkeypatch.setenv("ROUNDTABLE_SECRET_KEY", Fernet.generate_key().decode())
        assert configuration_notes(store, broker) == []
    finally:
        store.close()

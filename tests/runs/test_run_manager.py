"""The run manager against a real SQLite store, the Demo model, real threads and a loopback
OpenAI-compatible server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa

from studio.engine import ScriptedHuman
from studio.runs import TRANSIENT_KINDS, RunError, RunManager
from studio.spec import load_bundled_template
from studio.store import Actor, Store
from tests.support.oai_server import OAIServer, error

from .conftest import wait_for, wait_status

LOCAL = Actor.local()


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def messages(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "message"]


def inline_model_template(base_url: str) -> dict[str, Any]:
    """A two-agent team whose assistant talks to an OpenAI-compatible server at base_url."""
    return {
        "format": 1,
        "name": "remote pair",
        "models": {"main": {"provider": "openai_compatible", "base_url": base_url,
                            "model": "test-model"}},
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input": "never",
             "max_consecutive_auto_reply": 1},
            {"name": "assistant", "kind": "assistant", "model": "main"},
        ],
        "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 2,
                    "edges": [{"source": "user", "target": "assistant"}]},
        "sample_tasks": ["Say hello."],
    }


def test_a_run_streams_events_in_order_and_persists_them(make_manager, store, data_dir):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    run_id = manager.start(LOCAL, spec, spec.default_task, template_name=spec.name, human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(30)
    events = handle.events_since(0)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "run_started" and events[0]["task"] == spec.default_task
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "finished"
    assert kinds(events).count("run_started") == kinds(events).count("run_finished") == 1
    assert "code_executed" in kinds(events)
    code = next(e for e in events if e["type"] == "code_executed")
    assert code["exit_code"] == 0
    assert handle.status == "finished" and handle.error is None
    assert handle.reason == "termination message"
    assert handle.work_dir == data_dir / "runs" / run_id and handle.work_dir.is_dir()
    assert handle.events_since(len(events) - 1) == events[-1:]
    # The store holds the same events but the transient ones (model calls here), in order.
    assert "model_call" in kinds(events)
    assert manager.transcript(LOCAL, run_id) == [e for e in events if e["type"] not in TRANSIENT_KINDS]
    info = store.get_run(LOCAL, run_id)
    assert info.status == "finished" and info.template_name == spec.name
    assert info.model_label == "Demo model (offline)" and info.work_dir == str(handle.work_dir)
    assert manager.active(LOCAL) == []


def test_tokens_stream_live_but_only_the_message_is_stored(make_manager):
    manager = make_manager(demo_token_delay=0.001)
    spec = load_bundled_template("human_in_the_loop")
    run_id = manager.start(LOCAL, spec, "Draft an email.", template_name=spec.name, human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(30)
    events = handle.events_since(0)
    first = next(i for i, e in enumerate(events) if e["type"] == "message" and e["sender"] == "assistant")
    tokens = [e for e in events[:first] if e["type"] == "token" and e["agent"] == "assistant"]
    assert tokens, "a paced Demo run streams its messages"
    assert "".join(t["delta"] for t in tokens) == events[first]["message"]["content"]
    stored = manager.transcript(LOCAL, run_id)
    assert "token" not in kinds(stored) and "model_call" not in kinds(stored)
    assert stored == [e for e in events if e["type"] not in ("token", "model_call")]


def test_a_question_nobody_answers_in_time_stops_the_run(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    run_id = manager.start(LOCAL, spec, "Draft an email.", template_name=spec.name,
                           answer_timeout=5.0)  # time enough to answer, even when loaded
    handle = manager.get(LOCAL, run_id)
    assert handle is not None
    wait_status(handle, "waiting")
    handle.answer("Mention the demo.")  # answered in time: the run goes on
    wait_for(handle, lambda ev: kinds(ev).count("human_input_requested") >= 2)
    assert handle.wait(30), "the second question, unanswered, stops the run"
    assert (handle.status, handle.reason) == ("cancelled", "no answer")
    stored = manager.transcript(LOCAL, run_id)
    notes = [e["text"] for e in stored if e["type"] == "notice"]
    assert notes == ["Nobody answered within 5 seconds. The run stops here; everything said "
                     "so far is kept."]
    assert kinds(stored).count("human_input_received") == 1
    assert manager.store.get_run(LOCAL, run_id).reason == "no answer"


def test_human_input_round_trip_through_the_mailbox(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    run_id = manager.start(LOCAL, spec, "Draft an email about the release.", template_name=spec.name)
    handle = manager.get(LOCAL, run_id)
    assert handle is not None
    wait_status(handle, "waiting")
    request = handle.pending
    assert request is not None and request.agent == "you" and request.kind == "reply"
    assert "first draft" in request.prompt
    handle.answer("Mention that the demo still happens on Wednesday.")
    wait_for(handle, lambda ev: kinds(ev).count("human_input_requested") >= 2)
    wait_status(handle, "waiting")
    handle.answer("exit")
    assert handle.wait(10)
    assert handle.status == "finished" and handle.reason == "human exit"
    assert handle.pending is None
    sent = [m["message"]["content"] for m in messages(manager.transcript(LOCAL, run_id))
            if m["sender"] == "you"]
    assert sent == ["Draft an email about the release.",
                    "Mention that the demo still happens on Wednesday."]
    received = [e["text"] for e in manager.transcript(LOCAL, run_id) if e["type"] == "human_input_received"]
    assert received == ["Mention that the demo still happens on Wednesday.", "exit"]
    with pytest.raises(RunError, match="already finished"):
        handle.answer("too late")


def test_answer_without_a_question_says_to_interject(make_manager):
    manager = make_manager(demo_token_delay=0.02)
    spec = load_bundled_template("planning_group")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.default_task, template_name=spec.name))
    assert handle is not None
    wait_for(handle, lambda ev: "token" in kinds(ev))
    with pytest.raises(RunError, match="interject"):
        handle.answer("hello?")
    handle.cancel()


def test_a_provider_can_answer_instead_of_the_mailbox(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    human = ScriptedHuman(["Shorter, please."])
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Draft a note.", template_name=spec.name, human=human))
    assert handle is not None and handle.wait(10)
    assert handle.reason == "human exit"
    assert [r.agent for r in human.requests] == ["you", "you"]


def test_interjection_is_delivered_before_the_next_turn(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Draft an email.", template_name=spec.name))
    assert handle is not None
    wait_status(handle, "waiting")
    handle.interject("Keep it under 50 words.")
    handle.answer("")  # carry on automatically: the interjection goes first
    events = wait_for(handle, lambda ev: "interjection" in kinds(ev))
    note = next(e for e in events if e["type"] == "interjection")
    assert note["text"] == "Keep it under 50 words."
    handle.cancel()
    assert handle.wait(2)
    stored = manager.transcript(LOCAL, handle.run_id)
    assert any(m["message"]["content"] == "Keep it under 50 words." for m in messages(stored))


def test_pause_holds_the_run_and_messages_are_already_stored(make_manager, store, data_dir):
    manager = make_manager(demo_token_delay=0.005)
    spec = load_bundled_template("planning_group")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.default_task, template_name=spec.name,
                                       human="never"))
    assert handle is not None
    wait_for(handle, lambda ev: len(messages(ev)) >= 2)
    handle.pause()
    assert handle.status == "paused"
    events = wait_for(handle, lambda ev: "paused" in kinds(ev))
    held = handle.last_seq
    # Nothing moves while paused (a bounded wait on the handle's own notification).
    assert handle.wait_for_events(held, timeout=0.4) == []
    assert handle.last_seq == held and handle.status == "paused"
    # A second Store object (another connection) already sees every message so far.
    other = Store.open(data_dir=data_dir)
    stored = [e.data for e in other.run_events(LOCAL, handle.run_id)]
    assert messages(stored) == messages(events)
    assert other.get_run(LOCAL, handle.run_id).status == "running"
    handle.resume()
    assert handle.wait(30)
    assert handle.status == "finished"
    assert "resumed" in kinds(handle.events_since(0))


def test_cancel_stops_within_a_second_and_keeps_messages(make_manager, store):
    manager = make_manager(demo_token_delay=0.05)
    spec = load_bundled_template("planning_group")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.default_task, template_name=spec.name,
                                       human="never"))
    assert handle is not None
    wait_for(handle, lambda ev: len(messages(ev)) >= 1 and kinds(ev)[-1] == "token")
    started = time.monotonic()
    handle.cancel()
    assert handle.wait(1.0), "cancel must stop the run within 1 s"
    assert time.monotonic() - started < 1.0
    assert handle.status == "cancelled" and handle.reason == "cancelled"
    info = store.get_run(LOCAL, handle.run_id)
    assert info.status == "cancelled"
    assert len(messages(manager.transcript(LOCAL, handle.run_id))) >= 1


def test_a_cancelled_run_ends_in_one_commit(make_manager, store):
    """The chat's end, the run's end and its status: one transaction (one flush to disk),
    so a cancel does not wait on several commits of a busy disk."""
    manager = make_manager(demo_token_delay=0.05)
    spec = load_bundled_template("planning_group")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.default_task, template_name=spec.name,
                                       human="never"))
    assert handle is not None
    wait_for(handle, lambda ev: len(messages(ev)) >= 1 and kinds(ev)[-1] == "token")
    run_thread = f"run-{handle.run_id[:8]}"
    commits: list[str] = []

    def count(connection: object) -> None:
        if threading.current_thread().name == run_thread:  # not the lease's heartbeat
            commits.append(run_thread)

    sa.event.listen(store.engine, "commit", count)
    try:
        handle.cancel()
        assert handle.wait(5)
    finally:
        sa.event.remove(store.engine, "commit", count)
    assert len(commits) == 1
    stored = manager.transcript(LOCAL, handle.run_id)
    assert kinds(stored)[-2:] == ["chat_finished", "run_finished"]
    assert stored[-1]["status"] == "cancelled" == store.get_run(LOCAL, handle.run_id).status
    live = [e for e in handle.events_since(0) if e["type"] not in TRANSIENT_KINDS]
    assert [e["seq"] for e in live] == [e["seq"] for e in stored]


def test_cancel_while_waiting_for_the_human(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Draft.", template_name=spec.name))
    assert handle is not None
    wait_status(handle, "waiting")
    started = time.monotonic()
    handle.cancel()
    assert handle.wait(1.0) and time.monotonic() - started < 1.0
    assert handle.status == "cancelled"


def test_a_model_failure_ends_the_run_failed_with_its_message(make_manager, store):
    manager = make_manager()
    with OAIServer() as server:
        server.push(error(401, "Incorrect API key provided", code="invalid_api_key",
                          err_type="invalid_request_error"))
        run_id = manager.start(LOCAL, inline_model_template(server.base_url), "Hi",
                               template_name="remote pair", human="never")
        handle = manager.get(LOCAL, run_id)
        assert handle is not None and handle.wait(20)
    assert handle.status == "failed"
    assert handle.error and "API key" in handle.error
    events = handle.events_since(0)
    assert any(e["type"] == "error" and "API key" in e["text"] for e in events)
    info = store.get_run(LOCAL, run_id)
    assert info.status == "failed" and "API key" in info.reason
    assert "error" in kinds(manager.transcript(LOCAL, run_id))


def test_model_override_demo_runs_every_agent_on_the_demo_model(make_manager, store):
    manager = make_manager()
    dead = "http://127.0.0.1:9/v1"  # nothing listens: the template's own model cannot work
    template = inline_model_template(dead)
    run_id = manager.start(LOCAL, template, "Hi", template_name="remote pair", model="demo",
                           human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(20)
    assert handle.status == "finished", handle.error
    assert handle.model_label == "Demo model (offline)"
    assert store.get_run(LOCAL, run_id).model_label == "Demo model (offline)"
    assert any(m["sender"] == "assistant" for m in messages(handle.events_since(0)))


def test_bad_template_or_model_raises_at_once_and_records_nothing(make_manager, store, data_dir):
    from studio.spec import SpecError

    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    with pytest.raises(Exception, match="unknown model 'nope'"):
        manager.start(LOCAL, spec, "x", template_name=spec.name, model="nope")
    with pytest.raises(SpecError):
        manager.start(LOCAL, {"format": 1, "name": "broken", "pattern": {"kind": "group"}}, "x",
                      template_name="broken")
    with pytest.raises(RunError, match="unknown human input"):
        manager.start(LOCAL, spec, "x", template_name=spec.name, human="sometimes")  # type: ignore[arg-type]
    assert store.list_runs(LOCAL) == []
    assert not (data_dir / "runs").exists() or list((data_dir / "runs").iterdir()) == []


def test_two_runs_at_once_do_not_mix_events(make_manager):
    manager = make_manager(demo_token_delay=0.002)
    group = load_bundled_template("planning_group")
    chain = load_bundled_template("research_write_review")
    first = manager.get(LOCAL, manager.start(LOCAL, group, group.default_task, template_name=group.name,
                                      human="never"))
    second = manager.get(LOCAL, manager.start(LOCAL, chain, chain.default_task, template_name=chain.name,
                                       human="never"))
    assert first is not None and second is not None
    assert {h.run_id for h in manager.active(LOCAL)} <= {first.run_id, second.run_id}
    assert first.wait(30) and second.wait(30)
    for handle, spec in ((first, group), (second, chain)):
        events = handle.events_since(0)
        assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
        names = set(spec.agent_names) | {"chat_manager"}
        assert {m["sender"] for m in messages(events)} <= names
        assert events[0]["task"] == spec.default_task
        assert manager.transcript(LOCAL, handle.run_id) == [e for e in events if e["type"] not in TRANSIENT_KINDS]
    assert first.status == second.status == "finished"


def test_a_manager_marks_runs_of_a_dead_process_as_interrupted(store, registry, data_dir):
    old = RunManager(store, registry, data_dir=data_dir)
    spec = load_bundled_template("human_in_the_loop")
    handle = old.get(LOCAL, old.start(LOCAL, spec, "Draft.", template_name=spec.name))
    assert handle is not None
    wait_status(handle, "waiting")
    before = old.transcript(LOCAL, handle.run_id)
    # Another process on the same database while the first one lives: nothing is touched.
    other = RunManager(Store.open(data_dir=data_dir), registry, data_dir=data_dir)
    assert other.interrupted_on_start == 0
    assert other.store.get_run(LOCAL, handle.run_id).status == "running"
    # The first process dies (its heartbeat stops): the next process marks its run.
    old._heartbeat._stop.set()
    store.close_lease(old._heartbeat.lease_id)
    new = RunManager(Store.open(data_dir=data_dir), registry, data_dir=data_dir)
    assert new.interrupted_on_start == 1
    assert new.get(LOCAL, handle.run_id) is None
    info = new.store.get_run(LOCAL, handle.run_id)
    assert info.status == "interrupted"
    assert new.transcript(LOCAL, handle.run_id) == before and messages(before)
    # It was only late, not dead: its own end replaces the verdict.
    handle.cancel()
    assert handle.wait(2)
    assert new.store.get_run(LOCAL, handle.run_id).status == "cancelled"
    for manager in (other, new):
        manager.shutdown()


def test_delete_removes_record_and_work_dir(make_manager, store):
    manager = make_manager()
    spec = load_bundled_template("code_assistant")
    run_id = manager.start(LOCAL, spec, spec.default_task, template_name=spec.name, human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(30)
    assert any(handle.work_dir.iterdir()) or handle.work_dir.is_dir()
    manager.delete(LOCAL, run_id)
    assert not handle.work_dir.exists()
    assert store.list_runs(LOCAL) == [] and manager.get(LOCAL, run_id) is None


def test_the_demo_pace_is_chosen_per_run(make_manager):
    manager = make_manager()
    spec = load_bundled_template("brainstorm")
    task = "Plan a one-day workshop for teachers"
    paced = manager.get(LOCAL, manager.start(LOCAL, spec, task, template_name=spec.name, human="never",
                                      demo_pace="readable"))
    instant = manager.get(LOCAL, manager.start(LOCAL, spec, task, template_name=spec.name, human="never"))
    assert paced is not None and instant is not None
    assert paced.wait(60) and instant.wait(60)
    assert "token" in kinds(paced.events_since(0)), "readable: the words stream in"
    assert "token" not in kinds(instant.events_since(0)), "instant (the default): whole messages"
    said = [e["message"]["content"] for e in messages(instant.events_since(0))]
    assert said == [e["message"]["content"] for e in messages(paced.events_since(0))]
    assert any("How might we plan a one-day workshop for teachers?" in s for s in said)
    with pytest.raises(ValueError):
        manager.start(LOCAL, spec, task, template_name=spec.name, demo_pace="slow")


def test_the_price_set_for_a_stored_model_is_what_its_calls_cost(store, data_dir):
    from studio.runs import registry_with_store
    from studio.store import ModelConfig
    from tests.support.oai_server import text

    with OAIServer() as server:
        store.save_model_config(LOCAL, ModelConfig(
            name="priced", provider="openai_compatible", model="test-model",
            base_url=server.base_url, price_input=2.0, price_output=10.0))
        registry = registry_with_store(store, LOCAL)  # what a run of the person sees
        assert registry.models["priced"].price == (2.0, 10.0)
        server.push(text("Hello there. TERMINATE", usage=(1000, 200)))
        manager = RunManager(store, registry, data_dir=data_dir)
        run_id = manager.start(LOCAL, inline_model_template(server.base_url), "Hi",
                               template_name="remote pair", model="priced", human="never")
        handle = manager.get(LOCAL, run_id)
        assert handle is not None and handle.wait(20), handle.error
        assert manager.shutdown(5)
    cost = handle.usage["total"]["cost"]
    assert cost == pytest.approx((1000 * 2.0 + 200 * 10.0) / 1_000_000)
    assert store.get_run(LOCAL, run_id).cost == pytest.approx(cost)

"""The run manager knows who is acting: members see and stop only their own runs, budgets
hold, and a stored key never reaches a host it was not saved for (template route and the
Models page's Test route), checked at real loopback servers that record what they get."""

from __future__ import annotations

import copy
import json
import logging
import os
from typing import Any

import pytest

from studio.app._models import check_model
from studio.runs import BudgetExceeded, RunError
from studio.spec import BuildError, load_bundled_template
from studio.store import Actor, Budget, ModelConfig, NotFound, Store, actor_of
from tests.support.oai_server import OAIServer, text

from .conftest import wait_status
from .test_run_manager import inline_model_template

LOCAL = Actor.local()
KEY = "sk-workshop-0123456789abcdefWXYZ"
PASSWORD = "correct horse battery"


@pytest.fixture
def people(store: Store) -> tuple[Actor, Actor, Actor]:
    admin = actor_of(store.create_account(LOCAL, "teacher", PASSWORD, role="admin"))
    a = actor_of(store.create_account(admin, "ann", PASSWORD))
    b = actor_of(store.create_account(admin, "bob", PASSWORD))
    return admin, a, b


def _waiting_run(manager, actor: Actor) -> str:  # noqa: ANN001
    spec = load_bundled_template("human_in_the_loop")
    run_id = manager.start(actor, spec, "Draft an email.", template_name=spec.name)
    handle = manager.get(actor, run_id)
    assert handle is not None
    wait_status(handle, "waiting")
    return run_id


def test_a_members_run_is_invisible_and_unstoppable_for_another(make_manager, people) -> None:
    admin, a, b = people
    manager = make_manager()
    run_a = _waiting_run(manager, a)
    run_b = _waiting_run(manager, b)
    assert manager.get(b, run_a) is None
    assert [h.run_id for h in manager.active(b)] == [run_b]
    with pytest.raises(NotFound):
        manager.transcript(b, run_a)
    with pytest.raises(RunError, match="not yours to stop"):
        manager.stop(b, run_a)
    with pytest.raises(NotFound):
        manager.delete(b, run_a)
    assert manager.get(a, run_a).status == "waiting"
    # the administrator sees both and stops either
    assert {h.run_id for h in manager.active(admin)} == {run_a, run_b}
    assert {h.owner_name for h in manager.active(admin)} == {"ann", "bob"}
    manager.stop(admin, run_a)
    assert manager.get(a, run_a).wait(5) and manager.get(a, run_a).status == "cancelled"
    assert manager.store.get_run(admin, run_a).owner_id == a.id


def test_budgets_stop_the_next_run_with_a_clear_message(make_manager, people) -> None:
    admin, a, b = people
    manager = make_manager()
    store = manager.store
    store.set_budget(admin, None, Budget(concurrent_runs=1))
    _waiting_run(manager, a)
    with pytest.raises(BudgetExceeded, match="you have 1 run going and may run 1 at a time"):
        _waiting_run(manager, a)
    _waiting_run(manager, b)  # B's budget is B's own
    _waiting_run(manager, admin)  # administrators have none
    # tokens per day: what the member's runs used counts
    store.set_budget(admin, "bob", Budget(tokens_per_day=1000, concurrent_runs=5))
    old = store.create_run(b, "earlier", {}, "task")
    store.finish_run(old, "finished", usage={"total_tokens": 1200, "cost": 0.0})
    with pytest.raises(BudgetExceeded, match=r"used 1,[0-9]{3} tokens in the last 24 hours, and your "
                                             "budget is 1,000 a day"):
        _waiting_run(manager, b)


def _talkative_pair(base_url: str) -> dict[str, Any]:
    """Two assistants that would talk for eight turns, both on the server at base_url."""
    spec = copy.deepcopy(inline_model_template(base_url))
    spec["agents"] = [{"name": "a", "kind": "assistant", "model": "main"},
                      {"name": "b", "kind": "assistant", "model": "main"}]
    spec["pattern"] = {"kind": "two_agent", "starter": "a", "max_turns": 8,
                       "edges": [{"source": "a", "target": "b"}]}
    return spec


def test_a_run_going_stops_when_its_owner_reaches_the_days_tokens(make_manager,
                                                                   people) -> None:
    admin, a, _ = people
    manager = make_manager()
    store = manager.store
    store.set_budget(admin, "ann", Budget(tokens_per_day=1000))
    with OAIServer() as server:
        server.push(*[text(f"Point {i}.", usage=(100, 200)) for i in range(40)])
        run_id = manager.start(a, _talkative_pair(server.base_url), "Discuss.",
                               template_name="pair")
        handle = manager.get(a, run_id)
        assert handle is not None and handle.wait(30)
        # an administrator's run of the same team is never stopped
        own = manager.start(admin, _talkative_pair(server.base_url), "Discuss.",
                            template_name="pair")
        assert manager.get(admin, own).wait(30)
    assert handle.status == "cancelled"
    info = store.get_run(a, run_id)
    assert (info.status, info.reason, info.total_tokens) == ("cancelled", "budget reached", 1200)
    events = manager.transcript(a, run_id)
    replies = [e for e in events if e["type"] == "message" and e.get("usage")]
    assert len(replies) == 4, "it stopped right after the reply that reached the budget"
    notes = [e["text"] for e in events if e["type"] == "notice"]
    assert any(n.startswith("Budget reached: your runs used 1,200 tokens in the last 24 hours")
               and "everything said so far is kept" in n for n in notes), notes
    assert store.get_run(admin, own).status == "finished"
    assert store.get_run(admin, own).total_tokens > 1000


def _spec_with_key(base_url: str, *, secret: str | None = None,
                   env: str | None = None) -> dict[str, Any]:
    spec = copy.deepcopy(inline_model_template(base_url))
    model = spec["models"]["main"]
    if secret:
        model["api_key_secret"] = secret
    if env:
        model["api_key_env"] = env
    return spec


def test_a_stored_key_goes_only_to_its_own_host(make_manager, people, data_dir,
                                                caplog) -> None:
    admin, a, _ = people
    caplog.set_level(logging.DEBUG)
    manager = make_manager()
    with OAIServer() as good, OAIServer(host="127.0.0.2") as other:
        manager.store.set_secret(a, "my-key", KEY, base_url=good.base_url)
        with pytest.raises(BuildError, match="may only be sent to 127.0.0.1:.*never sent to "
                                             "127.0.0.2"):
            manager.start(a, _spec_with_key(other.base_url, secret="my-key"), "Hi",
                          template_name="stolen")
        assert other.requests == [], "nothing reached the other host"
        good.push(text("hello"), text("bye"))
        run_id = manager.start(a, _spec_with_key(good.base_url, secret="my-key"), "Hi",
                               template_name="mine")
        assert manager.get(a, run_id).wait(20)
        auth = {r.headers.get("authorization") for r in good.chat_requests()}
        assert auth == {f"Bearer {KEY}"}
    # ...and is nowhere else: not in the export, the backup, the logs or the database files
    store = manager.store
    assert KEY not in json.dumps(store.export_run(a, run_id), default=str)
    assert KEY not in json.dumps(store.backup(admin), default=str)
    assert KEY not in caplog.text
    store.checkpoint()
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_a_member_cannot_retarget_a_shared_model_or_read_server_variables(
        make_manager, people, monkeypatch) -> None:
    admin, a, _ = people
    manager = make_manager()
    store = manager.store
    monkeypatch.setenv("SLACK_WEBHOOK", "https://hooks.example/secret-path")
    with OAIServer() as good, OAIServer(host="127.0.0.2") as other:
        store.set_secret(admin, "class-key", KEY, base_url=good.base_url)
        store.save_model_config(admin, ModelConfig(name="class", model="test-model",
                                                   base_url=good.base_url,
                                                   api_key_secret="class-key", shared=True))
        # a template laying its own base URL over the shared model
        spec = inline_model_template(other.base_url)
        spec["models"]["main"] = {"preset": "class", "base_url": other.base_url}
        with pytest.raises(BuildError, match="never sent to 127.0.0.2"):
            manager.start(a, spec, "Hi", template_name="retarget")
        with pytest.raises(BuildError, match="'SLACK_WEBHOOK' is not offered to members"):
            manager.start(a, _spec_with_key(other.base_url, env="SLACK_WEBHOOK"), "Hi",
                          template_name="env")
        # the Models page's Test obeys the same rules
        retargeted = ModelConfig(name="mine", model="test-model", base_url=other.base_url,
                                 api_key_secret="class-key")
        with pytest.raises(BuildError, match="never sent to 127.0.0.2"):
            check_model(store, a, retargeted)
        env_test = ModelConfig(name="env", model="test-model", base_url=other.base_url,
                               api_key_env="SLACK_WEBHOOK")
        with pytest.raises(BuildError, match="not offered to members"):
            check_model(store, a, env_test)
        assert other.requests == [], "nothing reached the other host"
        # the shared model itself works for the member, with the class key
        good.push(text("OK"))
        assert check_model(store, a, store.get_model_config(a, "class"))
        assert good.requests[-1].headers.get("authorization") == f"Bearer {KEY}"
    assert "hooks.example" not in os.environ.get("OPENAI_BASE_URL", "")

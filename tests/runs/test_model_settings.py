"""Model configurations as runs use them: the name people gave them, and each model's request
timeout and retry budget (stored config, template entry, per-run override), against a real
loopback OpenAI-compatible server."""

from __future__ import annotations

from typing import Any

import pytest

from studio.runs import registry_with_store
from studio.spec import Registry, SpecError, load_template
from studio.store import Actor, ModelConfig
from tests.support.oai_server import OAIServer, slow, text

LOCAL = Actor.local()


def pair(model: str | dict[str, Any]) -> dict[str, Any]:
    """A two-agent team whose assistant uses ``model`` (a name, or an inline entry)."""
    models = {"main": model} if isinstance(model, dict) else {}
    return {
        "format": 1, "name": "pair", "models": models,
        "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never"},
                   {"name": "assistant", "model": "main" if models else model}],
        "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 1,
                    "edges": [{"source": "user", "target": "assistant"}]},
        "sample_tasks": ["Say hello."],
    }


@pytest.fixture
def server():
    with OAIServer(models=()) as srv:
        yield srv


def run_to_end(manager: Any, template: dict[str, Any], registry: Registry, **kw: Any) -> Any:
    spec = load_template(template, registry=registry)
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Say hello.", template_name="pair", human="never", **kw))
    assert handle is not None and handle.wait(30)
    return handle


def test_a_run_names_a_stored_model_by_the_name_people_gave_it(make_manager, store, server):
    server.push(text("Hello."))
    store.save_model_config(LOCAL, ModelConfig(name="Lab llama", provider="llamacpp", model="default",
                                        base_url=server.base_url))
    manager = make_manager()
    registry_with_store(store, LOCAL, manager.registry)
    handle = run_to_end(manager, pair("Lab llama"), manager.registry)
    assert handle.status == "finished", handle.error
    assert handle.model_label == "Lab llama"
    assert store.get_run(LOCAL, handle.run_id).model_label == "Lab llama"
    call = next(e for e in handle.events_since(0) if e["type"] == "model_call")
    assert call["model"] == "Lab llama" and call["agent"] == "assistant"


def test_an_inline_model_without_a_label_is_named_by_model_and_host(make_manager, server):
    server.push(text("Hello."))
    manager = make_manager()
    handle = run_to_end(manager, pair({"provider": "llamacpp", "base_url": server.base_url, "model": "default"}),
                        manager.registry)
    assert handle.model_label == f"default (127.0.0.1:{server.port})"


def test_a_stored_timeout_and_retry_budget_are_used(make_manager, store, server):
    server.push(slow(30), slow(30), slow(30))
    store.save_model_config(LOCAL, ModelConfig(name="slow box", model="m", base_url=server.base_url,
                                        extra={"timeout": 0.4, "retries": 1}))
    manager = make_manager()
    registry_with_store(store, LOCAL, manager.registry)
    handle = run_to_end(manager, pair("slow box"), manager.registry)
    assert handle.status == "failed"
    assert "did not answer within 0.4 s" in (handle.error or "")
    assert "gave up after 2 attempts" in (handle.error or "")
    assert len(server.chat_requests()) == 2


def test_a_template_entry_sets_them_and_a_run_may_override_them(make_manager, server):
    server.push(*(slow(30) for _ in range(4)))
    manager = make_manager()
    template = pair({"provider": "openai_compatible", "base_url": server.base_url, "model": "m",
                     "timeout": 0.3, "retries": 0})
    handle = run_to_end(manager, template, manager.registry)
    assert "did not answer within 0.3 s" in (handle.error or "")
    assert len(server.chat_requests()) == 1
    handle = run_to_end(manager, template, manager.registry, timeout=0.5, retries=1)
    assert "did not answer within 0.5 s" in (handle.error or "")
    assert len(server.chat_requests()) == 3


def test_template_limits_are_validated(registry):
    for bad in ({"timeout": 0}, {"timeout": 7200}, {"retries": -1}, {"retries": 11}):
        with pytest.raises(SpecError) as caught:
            load_template(pair({"provider": "vllm", "base_url": "http://127.0.0.1:9/v1", "model": "m", **bad}),
                          registry=registry)
        assert f"models.main.{next(iter(bad))}" in str(caught.value)

"""The Builder's starting shapes: each is a whole team that is ready to run and runs on the
offline Demo model to its end, with every agent taking part."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.app._builder_shapes import SHAPES, shape_team
from studio.runs import RunManager
from studio.spec import Registry, load_template, validate
from studio.store import Actor, Store

LOCAL = Actor.local()


@pytest.mark.parametrize("key", list(SHAPES))
def test_each_shape_is_ready_and_runs_with_every_agent(key: str, tmp_path: Path) -> None:
    spec = shape_team(key)
    registry = Registry.bundled()
    assert validate(spec, registry=registry) == [], "no problem, not even a suggestion"
    assert spec.sample_tasks and set(spec.layout) == set(spec.agent_names)
    store = Store.open(data_dir=tmp_path)
    manager = RunManager(store, registry, data_dir=tmp_path, demo_token_delay=0)
    try:
        run_id = manager.start(LOCAL, load_template(spec, registry=registry),
                               spec.default_task, template_name=spec.name, human="never",
                               demo_pace="instant")
        handle = manager.get(LOCAL, run_id)
        assert handle is not None and handle.wait(60)
        assert store.get_run(LOCAL, run_id).status == "finished"
        senders = {e.data["sender"] for e in store.run_events(LOCAL, run_id)
                   if e.kind == "message"}
        assert senders == set(spec.agent_names)
    finally:
        manager.shutdown()
        store.close()


def test_a_shape_is_a_fresh_copy_each_time() -> None:
    first = shape_team("group")
    first.agents[0].description = "changed"
    assert shape_team("group").agents[0].description != "changed"

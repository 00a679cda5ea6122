"""Playground: while a model call is outstanding the status line says how long it has waited."""

from __future__ import annotations

import re
import time

from studio.spec import load_template
from studio.store import Actor
from tests.support.oai_server import OAIServer, slow

LOCAL = Actor.local()


def test_a_silent_model_shows_waiting_with_the_seconds(app, svc, wait_until, texts) -> None:
    with OAIServer(models=()) as server:
        server.push(slow(60))
        spec = load_template({
            "format": 1, "name": "remote",
            "models": {"main": {"provider": "openai_compatible", "base_url": server.base_url,
                                "model": "m"}},
            "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never"},
                       {"name": "writer", "model": "main"}],
            "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 1,
                        "edges": [{"source": "user", "target": "writer"}]},
        }, registry=svc.registry)
        run_id = svc.manager.start(LOCAL, spec, "Write a haiku.", template_name="remote", human="never")
        handle = svc.manager.get(LOCAL, run_id)
        server.wait_for_requests(1, timeout=30)
        call = next(e for e in handle.events_since(0) if e["type"] == "model_call")
        wait_until(lambda: time.time() - call["time"] >= 2, what="two seconds of silence")
        at = app("playground")
        at.query_params["run"] = run_id
        at.run()
        assert not at.exception, at.exception
        shown = re.search(r"⏳ writer is waiting for the model \((\d+) s\)…", texts(at))
        assert shown and int(shown.group(1)) >= 2, texts(at)[:500]
        handle.cancel()
        assert handle.wait(5)
        at.run()
        assert "waiting for the model" not in texts(at)

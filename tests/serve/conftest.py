"""One `roundtable serve` subprocess per module, on a fresh data dir, serving bundled
templates plus two made here: a team whose model is a loopback OpenAI-compatible server
the test programs (slow on purpose), and the code assistant asking before it runs code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from studio.store import Actor, Store
from tests.support.oai_server import OAIServer
from tests.support.serve import ServeProcess

ROOT = Path(__file__).resolve().parents[2]
SERVED = ["human_in_the_loop", "writer_with_critic", "code_assistant"]


def slow_team(base_url: str) -> dict:
    return {
        "format": 1, "name": "Slow team",
        "description": "An assistant on a loopback model the test makes slow.",
        "models": {"slow": {"provider": "openai_compatible", "base_url": base_url,
                            "model": "test-model", "api_key_env": "SLOW_TEAM_KEY"}},
        "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never"},
                   {"name": "assistant", "kind": "assistant", "model": "slow"}],
        "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 1,
                    "edges": [{"source": "user", "target": "assistant"}]},
        "sample_tasks": ["Take your time."],
    }


def approved_code() -> dict:
    data = yaml.safe_load((ROOT / "templates" / "code_assistant.yaml").read_text())
    data["name"] = "Approved code"
    for agent in data["agents"]:
        if agent.get("code_execution"):
            agent["code_execution"]["approve"] = True
    return data


@pytest.fixture(scope="module")
def oai() -> Iterator[OAIServer]:
    with OAIServer() as server:
        yield server


class Served(ServeProcess):
    """The service, its store (the same data dir) and a key for the calls."""

    store: Store
    key: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture(scope="module")
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           oai: OAIServer) -> Iterator[Served]:
    """Keys required (as beyond loopback), one key made by the administrator; a module's
    ``SERVE_OPTIONS`` are added to the command line."""
    root = tmp_path_factory.mktemp("serve")
    (root / "slow.yaml").write_text(yaml.safe_dump(slow_team(oai.base_url)))
    (root / "approved.yaml").write_text(yaml.safe_dump(approved_code()))
    store = Store.open(None, root / "data")
    process = Served([*SERVED, str(root / "slow.yaml"), str(root / "approved.yaml")],
                     root / "data", log_path=root / "serve.log",
                     extra=["--require-key", *getattr(request.module, "SERVE_OPTIONS", [])],
                     env={"SLOW_TEAM_KEY": "not-a-real-key"})
    process.store = store
    process.key = store.create_api_key(Actor.local(), "tests", rate_limit=100_000)[1]
    try:
        with process:
            yield process
    finally:
        store.close()

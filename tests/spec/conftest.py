from __future__ import annotations

import copy
from typing import Any

import pytest

from studio.spec import Registry

_BASE: dict[str, Any] = {
    "format": 1,
    "name": "Pair",
    "models": {"main": "demo"},
    "agents": [
        {"name": "user", "kind": "user_proxy", "human_input": "never",
         "execute_tools": ["calculator"]},
        {"name": "assistant", "kind": "assistant", "model": "main", "tools": ["calculator"]},
    ],
    "pattern": {"kind": "two_agent", "starter": "user",
                "edges": [{"source": "user", "target": "assistant"}]},
    "sample_tasks": ["What is 2 + 2?"],
}


@pytest.fixture
def doc() -> dict[str, Any]:
    """A small valid two-agent template as plain data (a fresh copy per test)."""
    return copy.deepcopy(_BASE)


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.bundled()

"""Fixtures for the run manager: a real SQLite store in a tmp dir and the bundled registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from studio.runs import RunHandle, RunManager
from studio.spec import Registry
from studio.store import Store


@pytest.fixture(scope="session")
def registry() -> Registry:
    return Registry.bundled()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Store:
    return Store.open(data_dir=data_dir)


@pytest.fixture
def make_manager(store: Store, registry: Registry, data_dir: Path) -> Iterator[Callable[..., RunManager]]:
    made: list[RunManager] = []

    def make(demo_token_delay: float = 0.0) -> RunManager:
        manager = RunManager(store, registry, data_dir=data_dir, demo_token_delay=demo_token_delay)
        made.append(manager)
        return manager

    yield make
    for manager in made:
        assert manager.shutdown(5.0), "a run did not stop within 5 s of being cancelled"


def wait_for(handle: RunHandle, predicate: Callable[[list[dict[str, Any]]], bool],
             timeout: float = 10.0) -> list[dict[str, Any]]:
    """Wait (on the handle's own notifications) until ``predicate(events)`` holds."""
    import time

    deadline = time.monotonic() + timeout
    events = handle.events_since(0)
    while not predicate(events):
        left = deadline - time.monotonic()
        if left <= 0:
            kinds = [e["type"] for e in events][-15:]
            raise AssertionError(f"timed out; status {handle.status}, last events {kinds}")
        handle.wait_for_events(len(events), timeout=min(left, 0.5))
        events = handle.events_since(0)
        if handle.done and not predicate(events):
            raise AssertionError(f"run ended ({handle.status}: {handle.error or handle.reason}) "
                                 "before the awaited state")
    return events


def wait_status(handle: RunHandle, status: str, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while handle.status != status:
        if time.monotonic() > deadline:
            raise AssertionError(f"status stayed {handle.status!r}, wanted {status!r}")
        if handle.done:
            raise AssertionError(f"run ended {handle.status} ({handle.error or handle.reason})")
        handle.wait_for_events(handle.last_seq, timeout=0.05)

"""AppTest fixtures: each test gets its own data dir (and so its own Store and RunManager)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

MAIN = Path(__file__).resolve().parents[2] / "studio" / "app" / "main.py"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / "data"
    monkeypatch.setenv("ROUNDTABLE_DATA_DIR", str(directory))
    monkeypatch.delenv("ROUNDTABLE_DB_URL", raising=False)
    yield directory
    from studio.app._services import _build

    try:
        svc = _build(str(directory), None)
        svc.manager.shutdown(timeout=5)
        svc.store.close()
    finally:
        _build.clear()


@pytest.fixture
def svc(data_dir: Path):  # noqa: ANN201 - Services
    from studio.app._services import services

    return services()


@pytest.fixture
def app(data_dir: Path) -> Callable[..., AppTest]:
    def make(page: str | None = None, **query: str) -> AppTest:
        at = AppTest.from_file(str(MAIN), default_timeout=30)
        for key, value in query.items():
            at.query_params[key] = value
        at.run()
        if page:
            at.switch_page(f"views/{page}.py").run()
        return at

    return make


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "state") -> None:
    """Poll a condition (the run goes on in a thread) until it holds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def texts(at: AppTest) -> str:
    """Every markdown/caption text on the page, joined (for content assertions)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [e.body for kind in (at.success, at.error, at.warning, at.info) for e in kind]
    return "\n".join(str(p) for p in parts)


@pytest.fixture(name="wait_until")
def _wait_until_fixture() -> Callable[..., None]:
    return wait_until


@pytest.fixture(name="texts")
def _texts_fixture() -> Callable[[AppTest], str]:
    return texts

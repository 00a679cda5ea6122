"""End-to-end harness: `roundtable ui` on a free loopback port, driven by Debian's Chromium.

Every test in this folder is marked ``e2e``. On failure a tall screenshot and the tail of
the server log go to ``test-artifacts/`` (tests/conftest.py keeps each test's reports).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# Streamlit reruns the page on every interaction; on a busy 2-core CI machine one rerun can
# take longer than Playwright's default 5 s for an expectation. Waits stay state-based.
expect.set_options(timeout=20_000)

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
TALL_VIEWPORT = {"width": 1280, "height": 3000}  # Streamlit scrolls an inner div
START_TIMEOUT = 90.0


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": VIEWPORT}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class StudioServer:
    """`python -m studio ui` as a subprocess (the CLI execs into Streamlit: one pid)."""

    def __init__(self, data_dir: Path, log_path: Path, args: tuple[str, ...] = ()) -> None:
        self.data_dir = data_dir
        self.log_path = log_path
        self.args = args  # more `roundtable ui` options (--broker, --db-url)
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        self.port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        env.pop("ROUNDTABLE_DB_URL", None)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "studio", "ui", "--port", str(self.port),
             "--data-dir", str(self.data_dir), *self.args],
            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT, start_new_session=True)
        log.close()
        self._wait_healthy()
        return self.url

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the studio exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)  # polling the health endpoint until the server answers
        raise AssertionError(f"the studio did not answer on {self.url} in {START_TIMEOUT:.0f} s:\n"
                             f"{self.log_tail()}")

    def kill9(self) -> None:
        """SIGKILL the server, as a crash would."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def restart(self) -> str:
        """Kill -9 (if running) and start again on the same data dir; returns the new URL."""
        if self.process is not None and self.process.poll() is None:
            self.kill9()
        return self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill9()

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


@contextmanager
def running_studio(root: Path) -> Iterator[StudioServer]:
    """A studio on ``root/data`` (log in ``root/studio.log``), stopped afterwards."""
    server = StudioServer(root / "data", root / "studio.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[StudioServer]:
    with running_studio(tmp_path) as server:
        yield server


WIDGET_ID = re.compile(r"^\$\$ID-[0-9a-f]+-")  # a widget's id, before its key


class WireLog:
    """What the page and the studio said to each other over Streamlit's websocket: each
    rerun the page asked for (with the buttons whose click it carries) and each end of a
    script run. Printed when a test fails, so CI's output tells a click that was never sent
    from one the server dropped."""

    def __init__(self, page: Any) -> None:
        self.started = time.monotonic()
        self.lines: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, socket: Any) -> None:
        socket.on("framesent", lambda payload: self._sent(payload))
        socket.on("framereceived", lambda payload: self._received(payload))

    def _note(self, text: str) -> None:
        self.lines.append(f"{time.monotonic() - self.started:8.3f}s {text}")

    def _sent(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        message = BackMsg.FromString(payload)
        if message.WhichOneof("type") != "rerun_script":
            return
        rerun = message.rerun_script
        clicked = [WIDGET_ID.sub("", state.id) for state in rerun.widget_states.widgets
                   if state.WhichOneof("value") == "trigger_value" and state.trigger_value]
        self._note(f"page → rerun {rerun.page_name or '/'}"
                   + (" (a fragment)" if rerun.fragment_id else "")
                   + (f" clicking {', '.join(clicked)}" if clicked else ""))

    def _received(self, payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        try:
            message = ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - a cached or partial message: not ours to read
            return
        kind = message.WhichOneof("type")
        if kind == "new_session":
            self._note("studio ← run started")
        elif kind == "script_finished":
            self._note("studio ← run " + ForwardMsg.ScriptFinishedStatus.Name(
                message.script_finished).lower().replace("_", " "))

    def dump(self) -> str:
        return "\n".join(self.lines[-200:])


@pytest.fixture
def app_page(page: Any, studio: StudioServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The browser page on the studio's Gallery; on failure a screenshot and the server log
    in ``test-artifacts/``, and the websocket's timeline and the log's tail in the output."""
    wire = WireLog(page)
    page.set_default_timeout(30_000)
    page.goto(studio.url)
    page.get_by_role("heading", name="Gallery").first.wait_for()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = request.node.name.replace("/", "_")
        try:
            page.set_viewport_size(TALL_VIEWPORT)
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as exc:  # the page may be gone; the log still helps
            (ARTIFACTS / f"{name}.screenshot-error.txt").write_text(str(exc))
        (ARTIFACTS / f"{name}.server.log").write_text(studio.log_tail(400))
        print(f"-- websocket, since the page opened --\n{wire.dump()}\n"
              f"-- the studio's log, last lines --\n{studio.log_tail(30)}")


def settled(page: Any, quiet_ms: int = 600) -> None:
    """Wait until the page's script has not been running for ``quiet_ms`` in a row."""
    page.evaluate("window.__rtBusyAt = Date.now()")
    page.wait_for_function("""(quiet) => {
      const app = document.querySelector('[data-testid="stApp"]');
      const idle = app && app.getAttribute("data-test-script-state") === "notRunning";
      const now = Date.now();
      if (!idle) { window.__rtBusyAt = now; return false; }
      return now - window.__rtBusyAt >= quiet;
    }""", arg=quiet_ms, polling=100)

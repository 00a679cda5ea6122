"""`roundtable serve` as a real subprocess on a free loopback port, and a small SSE reader.

    with ServeProcess(["writer_with_critic"], data_dir) as served:
        requests.get(f"{served.url}/api/templates")
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServeProcess:
    """``python -m studio serve TEMPLATE... --port P --data-dir D [extra]``."""

    def __init__(self, templates: Sequence[str], data_dir: Path, *,
                 extra: Sequence[str] = (), log_path: Path | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.templates = list(templates)
        self.data_dir = data_dir
        self.extra = list(extra)
        self.log_path = log_path or data_dir.parent / f"serve-{id(self)}.log"
        self.env = env or {}
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServeProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> str:
        self.port = free_port()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        env.pop("ROUNDTABLE_DB_URL", None)
        env.update(self.env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "studio", "serve", *self.templates, "--port",
                 str(self.port), "--data-dir", str(self.data_dir), *self.extra],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                start_new_session=True)
        self._wait_healthy()
        return self.url

    def _wait_healthy(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"roundtable serve exited ({self.process.returncode}):\n"
                                     f"{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)  # polling until the server answers
        raise AssertionError(f"roundtable serve did not answer in {START_TIMEOUT:.0f} s:\n"
                             f"{self.log_tail()}")

    def stop(self) -> int | None:
        """Ctrl-C, as a person would; SIGKILL if it does not end in 20 s."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
            raise AssertionError(
                f"roundtable serve did not stop on Ctrl-C:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class SSEStream:
    """A Server-Sent Events response read message by message (real HTTP, ``requests``)."""

    def __init__(self, url: str, *, headers: dict[str, str] | None = None,
                 timeout: float = 30.0) -> None:
        self.response = requests.get(url, headers=headers or {}, stream=True,
                                     timeout=(5, timeout))
        self.status = self.response.status_code
        self._lines = self.response.iter_lines(decode_unicode=True)

    def __iter__(self) -> Iterator[tuple[str | None, dict[str, Any]]]:
        """``(id, event)`` pairs; comments and retry lines are skipped."""
        event_id: str | None = None
        data: list[str] = []
        for line in self._lines:
            if line is None:
                continue
            if line == "":
                if data:
                    yield event_id, json.loads("\n".join(data))
                event_id, data = None, []
            elif line.startswith(":"):
                continue
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> SSEStream:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

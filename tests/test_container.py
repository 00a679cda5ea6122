"""The Dockerfile builds here -- no registry: a local base image and wheels from this machine
(scripts/build_image.sh) -- and a container started from the image serves the health check
and offers the worker command."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TAG = "localhost/roundtable-studio:test"
BASE = "localhost/roundtable-python:latest"


def _engine_env() -> dict[str, str]:
    env = dict(os.environ)
    if Path("/etc/roundtable/containers.conf").is_file():
        env.setdefault("CONTAINERS_CONF", "/etc/roundtable/containers.conf")
    return env


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout,
                          env=_engine_env())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(1500)
def test_the_image_builds_here_and_its_container_serves_the_health_check():
    if shutil.which("podman") is None or _podman("image", "exists", BASE).returncode != 0:
        pytest.fail(f"podman and the local image {BASE} are needed: run scripts/setup_sandbox.sh")
    built = subprocess.run(["bash", "scripts/build_image.sh", TAG], cwd=ROOT, capture_output=True,
                           text=True, timeout=1400, env=_engine_env())
    assert built.returncode == 0, (built.stdout + built.stderr)[-4000:]
    port = _free_port()
    started = _podman("run", "-d", "--rm", "-p", f"127.0.0.1:{port}:8501",
                      "-e", "ROUNDTABLE_ADMIN=teacher",  # listening on 0.0.0.0: shared mode
                      "-e", "ROUNDTABLE_ADMIN_PASSWORD=container password", TAG)
    assert started.returncode == 0, started.stderr
    container = started.stdout.strip()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=3) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    logs = _podman("logs", container).stdout
                    pytest.fail(f"no health check answer within 120 s:\n{logs[-3000:]}")
                time.sleep(0.5)
        inspect = _podman("image", "inspect", TAG, "--format", "{{json .Config.Healthcheck}}")
        assert "_stcore/health" in inspect.stdout  # the image's own health check
        worker = _podman("exec", container, "roundtable", "worker", "--help")
        assert worker.returncode == 0 and "--broker" in worker.stdout
    finally:
        _podman("rm", "-f", container)

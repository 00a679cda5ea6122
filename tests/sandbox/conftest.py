"""Real sandboxes for hostile code: bubblewrap (local executor) and a Podman/Docker container.

The Docker-API socket comes from DOCKER_HOST, else unix:///run/roundtable-podman.sock. When it
does not answer and we are root, the session runs scripts/setup_sandbox.sh once (installs and
starts everything); otherwise the docker tests FAIL saying to run that script.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.engine.code import DEFAULT_IMAGE, DockerExecutor, Limits, LocalExecutor
from tests.support.processes import wait_for

ROOT = Path(__file__).resolve().parents[2]
SETUP_SCRIPT = ROOT / "scripts" / "setup_sandbox.sh"
DEFAULT_SOCKET = "unix:///run/roundtable-podman.sock"
HOSTILE_TIMEOUT = 3.0  # for the tests about the timeout itself (they set it)
PATIENT_TIMEOUT = 30.0  # everything else: a loaded 2-core machine may start code slowly



def _docker_state(base_url: str) -> str | None:
    """None when the engine answers and has the image, else what is wrong."""
    import docker

    try:
        client = docker.DockerClient(base_url=base_url, timeout=10)
    except Exception as exc:
        return f"no Docker engine at {base_url}: {exc}"
    try:
        client.ping()
        client.images.get(DEFAULT_IMAGE)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()
    return None


@pytest.fixture(scope="session")
def docker_url() -> str:
    base_url = os.environ.get("DOCKER_HOST") or DEFAULT_SOCKET
    problem = _docker_state(base_url)
    if problem is not None and os.geteuid() == 0 and base_url == DEFAULT_SOCKET:
        done = subprocess.run(
            ["bash", str(SETUP_SCRIPT)], capture_output=True, text=True, timeout=1200
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/setup_sandbox.sh failed:\n{done.stdout}\n{done.stderr}")
        problem = _docker_state(base_url)
    if problem is not None:
        pytest.fail(
            f"the Docker-API engine is not ready ({problem}): run `sudo bash "
            f"scripts/setup_sandbox.sh` and set DOCKER_HOST={DEFAULT_SOCKET}"
        )
    return base_url


@pytest.fixture(scope="session")
def bwrap_ready() -> None:
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: run `sudo bash scripts/setup_sandbox.sh`")


@pytest.fixture
def run_label() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def _containers(base_url: str, label: str) -> list[object]:
    import docker

    client = docker.DockerClient(base_url=base_url, timeout=10)
    try:
        return client.containers.list(all=True, filters={"label": f"roundtable.run={label}"})
    finally:
        client.close()


HOSTILE_LIMITS = Limits(memory_mb=256, max_processes=64, file_size_mb=10, disk_mb=64,
                        tmp_size_mb=16)


def make_hostile(kind: str, work: Path, request, run_label: str) -> LocalExecutor | DockerExecutor:
    """An executor with small limits, of the kind the test asks for."""
    if kind == "bubblewrap":
        request.getfixturevalue("bwrap_ready")
        executor = LocalExecutor(sandbox="bubblewrap", timeout=PATIENT_TIMEOUT,
                                 limits=HOSTILE_LIMITS, max_output_bytes=1_000_000, work_dir=work)
        assert executor.sandbox == "bubblewrap"
        return executor
    lim = HOSTILE_LIMITS
    return DockerExecutor(
        base_url=request.getfixturevalue("docker_url"), timeout=PATIENT_TIMEOUT,
        memory_mb=lim.memory_mb, pids_limit=lim.max_processes, file_size_mb=lim.file_size_mb,
        disk_mb=lim.disk_mb, max_output_bytes=1_000_000, tmp_size_mb=lim.tmp_size_mb,
        work_dir=work, run_label=run_label,
    )


def release(executor: LocalExecutor | DockerExecutor, run_label: str) -> None:
    """Clean the executor up; no container, mount or cgroup of the test may be left."""
    executor.cleanup()
    assert str(executor.work_dir) not in Path("/proc/self/mounts").read_text(), "a mount was left"
    if isinstance(executor, DockerExecutor):
        executor.close()
        base_url = executor.base_url
        assert wait_for(lambda: not _containers(base_url, run_label), 10), "a container was left"


@pytest.fixture(params=["bubblewrap", "docker"])
def hostile(request, tmp_path: Path, run_label: str) -> Iterator[LocalExecutor | DockerExecutor]:
    """An executor with small limits; afterwards nothing of this test may be left."""
    executor = make_hostile(request.param, tmp_path / "work", request, run_label)
    yield executor
    release(executor, run_label)

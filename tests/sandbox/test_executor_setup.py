"""What the executors say when they cannot run, cancel in a container, and stale clean-up."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from studio.engine._control import Cancelled, CancelToken
from studio.engine.code import (
    CodeBlock,
    CodeExecutionError,
    DockerExecutor,
    LocalExecutor,
    cleanup_stale_containers,
)
from studio.engine.code._docker import owner_labels
from tests.support.processes import wait_for

pytestmark = pytest.mark.sandbox


def test_missing_bubblewrap_is_said_once_and_refused(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on PATH
    strict = LocalExecutor(work_dir=tmp_path / "a")
    with pytest.raises(CodeExecutionError, match=r"apt-get install bubblewrap.*allow unsandboxed"):
        strict.execute([CodeBlock("print(1)", "python")])
    allowed = LocalExecutor(allow_unsandboxed=True, work_dir=tmp_path / "b")
    assert allowed.sandbox == "subprocess"
    assert allowed.sandbox_warning and "not installed" in allowed.sandbox_warning
    result = allowed.execute([CodeBlock("print(6*7)", "python")])
    assert result.exit_code == 0 and "42" in result.output and result.sandbox == "subprocess"


def test_no_engine_says_what_to_do(tmp_path: Path):
    ex = DockerExecutor(base_url=f"unix://{tmp_path}/missing.sock", work_dir=tmp_path)
    with pytest.raises(CodeExecutionError, match=r"no Docker engine at .*podman system service"):
        ex.execute([CodeBlock("print(1)", "python")])


def test_missing_image_says_how_to_build(docker_url: str, tmp_path: Path):
    ex = DockerExecutor(base_url=docker_url, image="localhost/roundtable-absent:1", work_dir=tmp_path)
    with pytest.raises(CodeExecutionError, match=r"localhost/roundtable-absent:1 is missing"):
        ex.execute([CodeBlock("print(1)", "python")])


def test_cancel_removes_the_container(docker_url: str, run_label: str, tmp_path: Path):
    import docker

    ex = DockerExecutor(base_url=docker_url, timeout=60, work_dir=tmp_path, run_label=run_label)
    client = docker.DockerClient(base_url=docker_url)
    code = "import time\nopen('started', 'w').close()\nwhile True:\n    time.sleep(0.05)\n"
    token = CancelToken()
    errors: list[BaseException] = []

    def target() -> None:
        try:
            ex.execute([CodeBlock(code, "python")], cancel=token)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    try:
        assert wait_for(lambda: (tmp_path / "started").exists(), 30)
        token.set()
        thread.join(15)
        assert not thread.is_alive()
        assert errors and isinstance(errors[0], Cancelled)
        filters = {"label": f"roundtable.run={run_label}"}
        assert wait_for(lambda: not client.containers.list(all=True, filters=filters), 10)
    finally:
        client.close()
        ex.close()


def test_stale_containers_of_dead_processes_are_removed(docker_url: str, run_label: str):
    import docker

    from studio.engine.code import DEFAULT_IMAGE

    client = docker.DockerClient(base_url=docker_url)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale_labels = {**owner_labels(run_label), "roundtable.pid": str(dead.pid)}
    stale = client.containers.create(DEFAULT_IMAGE, ["sleep", "30"], labels=stale_labels)
    mine = client.containers.create(DEFAULT_IMAGE, ["sleep", "30"], labels=owner_labels(run_label))
    try:
        removed = cleanup_stale_containers(client)
        assert stale.id in removed and mine.id not in removed
        ids = [c.id for c in client.containers.list(all=True, filters={"label": f"roundtable.run={run_label}"})]
        assert ids == [mine.id]
    finally:
        for container in (stale, mine):
            try:
                container.remove(force=True)
            except Exception:
                pass
        client.close()

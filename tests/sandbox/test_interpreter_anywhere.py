"""Code runs from a Python environment wherever it lives: under /tmp (CI, `python -m venv /tmp/x`),
and the sandbox names the real cause when an interpreter cannot run inside it."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from studio.engine.code import CodeBlock, CodeExecutionError, LocalExecutor

pytestmark = pytest.mark.sandbox

@pytest.fixture(scope="module")
def tmp_venv(tmp_path_factory, bwrap_ready) -> Path:
    """A venv under /tmp that sees the project and its dependencies through a .pth file."""
    venv = tmp_path_factory.mktemp("venv-under-tmp") / "env"
    assert str(venv).startswith(("/tmp/", "/var/tmp/")), venv
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    # as site dirs, so that their own .pth files (an editable install's finder) apply too
    ours = dict.fromkeys([*site.getsitepackages(), sysconfig.get_paths()["purelib"]])
    Path(purelib, "roundtable_test_paths.pth").write_text(
        "".join(f"import site; site.addsitedir({d!r})\n" for d in ours))
    return venv


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["ROUNDTABLE_DATA_DIR"] = str(tmp_path / "data")
    return env


def test_the_executor_runs_code_from_a_venv_under_tmp(tmp_venv: Path, tmp_path: Path):
    script = (
        "import json, sys\n"
        "from studio.engine.code import CodeBlock, LocalExecutor\n"
        f"ex = LocalExecutor(work_dir={str(tmp_path / 'work')!r})\n"
        "r = ex.execute([CodeBlock('import sys; print(sys.prefix)', 'python')])\n"
        "print(json.dumps({'sandbox': r.sandbox, 'exit': r.exit_code, 'out': r.output}))\n"
    )
    done = subprocess.run([str(tmp_venv / "bin" / "python"), "-c", script], cwd=tmp_path,
                          env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"sandbox": "bubblewrap", "exit": 0, "out": f"{tmp_venv}\n"}


def test_roundtable_run_of_a_code_template_from_a_venv_under_tmp(tmp_venv: Path, tmp_path: Path):
    done = subprocess.run(
        [str(tmp_venv / "bin" / "python"), "-m", "studio", "run", "code_assistant",
         "--task", "Count the primes below 100", "--human", "never"],
        cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "[code 0 (execution succeeded)]" in done.stdout
    assert "=== finished: termination message ===" in done.stdout


def test_an_interpreter_that_cannot_run_inside_is_named_as_the_cause(tmp_path: Path, bwrap_ready):
    flag = tmp_path / "host-only" / "flag"  # exists on the host, not inside the sandbox
    flag.parent.mkdir()
    flag.write_text("1")
    wrapper = tmp_path / "env" / "bin" / "python"
    wrapper.parent.mkdir(parents=True)
    wrapper.write_text(f'#!/bin/sh\n[ -f {flag} ] || {{ echo "{flag} is missing" >&2; exit 3; }}\n'
                       f'exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    ex = LocalExecutor(python=str(wrapper), work_dir=tmp_path / "work")
    with pytest.raises(CodeExecutionError) as caught:
        ex.execute([CodeBlock("print(1)", "python")])
    message = str(caught.value)
    assert f"bubblewrap works, but the Python interpreter {wrapper} does not run inside" in message
    assert f"{flag} is missing" in message
    assert "install bubblewrap" not in message

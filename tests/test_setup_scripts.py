"""The set-up scripts on a minimal machine: what they install when tools are missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _minimal_path(tmp_path: Path, tools: list[str]) -> Path:
    """A PATH holding only `tools` (no compiler, no cmake) and an apt-get that records its
    arguments: `update` works, `install` fails (so nothing is really installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        for folder in ("/usr/bin", "/bin"):
            if os.path.exists(f"{folder}/{tool}"):
                (bin_dir / tool).symlink_to(f"{folder}/{tool}")
                break
    apt = bin_dir / "apt-get"
    apt.write_text(f"#!/bin/sh\necho \"$@\" >> {tmp_path / 'apt.log'}\n"
                   '[ "$1" = update ] && exit 0\nexit 100\n')
    apt.chmod(0o755)
    return bin_dir


def test_local_model_build_installs_a_compiler_and_cmake_when_missing(tmp_path):
    bin_dir = _minimal_path(tmp_path, ["bash", "dirname", "sed", "head", "mkdir", "ls", "id"])
    env = {
        "PATH": str(bin_dir),
        "PYTHON": sys.executable,
        "LLAMA_CPP_VERSION": "0.0.1",  # not installed, not cached: the script must build it
        "ROUNDTABLE_WHEEL_CACHE": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
    }
    proc = subprocess.run(["/bin/bash", str(ROOT / "scripts/install_local_model.sh")], env=env,
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert "needs: gcc g++ make cmake" in out
    if os.geteuid() == 0:
        calls = (tmp_path / "apt.log").read_text()
        assert "install" in calls and "build-essential" in calls and "cmake" in calls, calls
        assert "apt-get could not install build-essential and cmake" in out
    else:
        assert "sudo apt-get install build-essential cmake" in out


"""Run the real `roundtable` entry point (`python -m studio`) in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("ROUNDTABLE_DEBUG", None)
    env.pop("ROUNDTABLE_DB_URL", None)
    return env


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "studio", *args]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def roundtable(data_dir: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``roundtable(*args, input=None)``: run the CLI on a fresh data dir."""

    def run(*args: str, input: str | None = None, storage: bool = True,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        extra = ["--data-dir", str(data_dir)] if storage else []
        return subprocess.run(cli_command(*args, *extra), input=input, capture_output=True,
                              text=True, timeout=timeout, env=cli_env(), cwd=ROOT)

    return run

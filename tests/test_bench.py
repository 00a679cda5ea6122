"""The benchmarks still run against today's code (they are not timed here: bench/ prints
ratios measured in one run, see bench/README.md). A quick pass of each cheap one, and the
set-up helpers of the expensive ones."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from studio.store import Actor, Store

ROOT = Path(__file__).resolve().parents[1]


def bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_ui_bench_stores_its_long_transcript(tmp_path: Path) -> None:
    run_id, said = bench_module("ui").store_long_run(tmp_path / "data", 12)
    store = Store.open(data_dir=tmp_path / "data")
    try:
        assert store.get_run(Actor.local(), run_id).status == "finished"
        assert [e.content for e in store.run_events(Actor.local(), run_id)] == [t for _, t in said]
    finally:
        store.close()


def test_the_cli_start_up_bench_runs() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "cli_startup.py"), "--runs", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "roundtable templates list" in done.stdout and "IMPORTED" not in done.stdout


def test_the_ui_bench_runs_a_short_pass() -> None:
    """Both servers, Chromium, every figure: a short pass (the real one takes a minute)."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "ui.py"), "--messages", "20",
                           "--repeat", "1", "--live", "3", "--no-cli"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for figure in ("first page (s)", "20-message transcript (s)", "event -> visible (s) p95"):
        assert figure in done.stdout, done.stdout

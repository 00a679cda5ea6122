"""Crash safety: nothing already said is lost; runs left running are marked interrupted."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from studio.store import Actor, Store

LOCAL = Actor.local()

WRITER = Path(__file__).with_name("_writer.py")
ROOT = Path(__file__).resolve().parents[2]


def _spawn(mode: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), mode, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


def test_a_discarded_store_leaves_an_interrupted_run_with_every_event(store_url: str) -> None:
    crashed = Store.open(store_url)
    run_id = crashed.create_run(LOCAL, "T", {"agents": []}, "task", "demo")
    finished_id = crashed.create_run(LOCAL, "T", {"agents": []}, "other", "demo")
    crashed.finish_run(finished_id, "finished", "done")
    for seq in range(1, 8):
        crashed.append_event(run_id, seq, "message", {"n": seq}, content=f"m{seq}")
    del crashed  # simulated crash: never finished, never closed

    fresh = Store.open(store_url)
    try:
        assert fresh.get_run(LOCAL, run_id).status == "running"
        assert fresh.mark_interrupted_runs() == 1
        run = fresh.get_run(LOCAL, run_id)
        assert run.status == "interrupted" and run.finished_at is not None
        assert fresh.get_run(LOCAL, finished_id).status == "finished"
        assert [e.content for e in fresh.run_events(LOCAL, run_id)] == [f"m{i}" for i in range(1, 8)]
        assert fresh.mark_interrupted_runs() == 0
    finally:
        fresh.close()


def test_sigkilled_writer_loses_nothing_committed(store_url: str) -> None:
    Store.open(store_url).close()  # migrate once, so the child only writes
    with _spawn("events", store_url) as child:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        acknowledged = 0
        while acknowledged < 25:
            line = child.stdout.readline()
            assert line, f"writer exited early with {child.wait()}"
            acknowledged = int(line)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    store = Store.open(store_url)
    try:
        seqs = [e.seq for e in store.run_events(LOCAL, run_id)]
        assert seqs[:acknowledged] == list(range(1, acknowledged + 1))
        assert seqs == list(range(1, len(seqs) + 1))  # no gaps, nothing half-written
        assert store.mark_interrupted_runs() == 1
        assert store.get_run(LOCAL, run_id).status == "interrupted"
    finally:
        store.close()


def test_a_live_process_keeps_its_running_run(store_url: str) -> None:
    Store.open(store_url).close()
    with _spawn("hold", store_url) as child:
        assert child.stdout is not None and child.stdin is not None
        run_id = child.stdout.readline().strip()
        store = Store.open(store_url)
        try:
            assert store.mark_interrupted_runs() == 0
            assert store.get_run(LOCAL, run_id).status == "running"
            child.stdin.close()
            assert child.wait(timeout=30) == 0
            assert store.mark_interrupted_runs() == 1
            assert store.get_run(LOCAL, run_id).status == "interrupted"
        finally:
            store.close()
            if child.poll() is None:
                child.kill()

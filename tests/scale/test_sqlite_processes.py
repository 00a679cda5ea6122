"""SQLite stays right for one machine: several processes on one file lose nothing."""

from __future__ import annotations

import json
from pathlib import Path

from studio.store import Actor, Store
from tests.support.workers import Processes

from .conftest import shape
from .test_workers import TASK, TEMPLATE, reference, stored

LOCAL = Actor.local()


def test_four_processes_on_one_sqlite_file_lose_no_run(tmp_path: Path):
    expected = reference(tmp_path)
    data = tmp_path / "shared"
    db = f"sqlite:///{data / 'roundtable.db'}"
    Store.open(db).close()  # migrated once, before the processes race for it
    counts = [13, 13, 12, 12]  # 50 runs, all going at once
    procs = Processes(tmp_path, db, broker=None)
    try:
        started = [procs.spawn(["-m", "tests.support.studio_side", "local", "--db", db,
                                "--data", str(data), "--template", TEMPLATE, "--task", TASK,
                                "--count", str(count), "--out", str(tmp_path / f"p{i}.json")],
                               f"p{i}") for i, count in enumerate(counts)]
        for proc in started:
            procs.wait(proc, timeout=400)
    finally:
        procs.stop()
    statuses = {}
    for i in range(len(counts)):
        statuses.update(json.loads((tmp_path / f"p{i}.json").read_text()))
    assert len(statuses) == 50 and set(statuses.values()) == {"finished"}, statuses
    store = Store.open(db)
    assert {r.status for r in store.list_runs(LOCAL, limit=100)} == {"finished"}
    for run_id in statuses:
        assert shape(stored(store, run_id)) == expected, f"run {run_id} lost events"

"""SQLite stays right for one machine: several processes on one file lose nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from studio.store import Actor, Store

from .conftest import ROOT, process_env, shape
from .test_workers import TASK, TEMPLATE, reference, stored

LOCAL = Actor.local()


def test_four_processes_on_one_sqlite_file_lose_no_run(tmp_path: Path):
    expected = reference(tmp_path)
    data = tmp_path / "shared"
    db = f"sqlite:///{data / 'roundtable.db'}"
    Store.open(db).close()  # migrated once, before the processes race for it
    counts = [13, 13, 12, 12]  # 50 runs, all going at once
    procs = []
    for i, count in enumerate(counts):
        log = open(tmp_path / f"p{i}.log", "wb")  # noqa: SIM115 - closed below
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "tests.support.studio_side", "local", "--db", db,
             "--data", str(data), "--template", TEMPLATE, "--task", TASK,
             "--count", str(count), "--out", str(tmp_path / f"p{i}.json")],
            cwd=ROOT, env=process_env(), stdout=log, stderr=subprocess.STDOUT), log))
    for proc, log in procs:
        assert proc.wait(400) == 0, (tmp_path / Path(log.name).name).read_text()[-3000:]
        log.close()
    statuses = {}
    for i in range(len(counts)):
        statuses.update(json.loads((tmp_path / f"p{i}.json").read_text()))
    assert len(statuses) == 50 and set(statuses.values()) == {"finished"}, statuses
    store = Store.open(db)
    assert {r.status for r in store.list_runs(LOCAL, limit=100)} == {"finished"}
    for run_id in statuses:
        assert shape(stored(store, run_id)) == expected, f"run {run_id} lost events"

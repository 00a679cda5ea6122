"""A long-lived process lets go of the handles of runs that ended (`roundtable serve` starts
many): their transcripts stay in the store; runs still going are kept."""

from __future__ import annotations

from pathlib import Path

from studio.runs import RunManager
from studio.spec import Registry, load_bundled_template
from studio.store import Actor, Store

LOCAL = Actor.local()


def test_ended_runs_are_let_go_and_going_ones_kept(tmp_path: Path) -> None:
    store = Store.open(None, tmp_path)
    manager = RunManager(store, Registry.bundled(), data_dir=tmp_path)
    try:
        done = manager.start(LOCAL, load_bundled_template("writer_with_critic"), "",
                             template_name="Writer", human="never")
        going = manager.start(LOCAL, load_bundled_template("human_in_the_loop"), "",
                              template_name="Human", human="mailbox")
        handle = manager.get(LOCAL, done)
        assert handle is not None and handle.wait(60)
        assert manager.forget_ended(older_than=3600) == 0  # ended just now: kept a while
        assert manager.forget_ended(older_than=0) == 1
        assert manager.get(LOCAL, done) is None
        assert manager.transcript(LOCAL, done)[-1]["type"] == "run_finished"
        assert manager.get(LOCAL, going) is not None  # still going: kept
    finally:
        manager.shutdown()
        store.close()

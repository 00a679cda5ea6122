"""A retrieval run on a Celery worker reads the document collection of the person who
started it: the worker builds the team as the run's owner, never as itself."""

from __future__ import annotations

import time

from studio.runs import FINAL_STATUSES, add_files
from studio.spec import load_bundled_template
from studio.store import Actor, Store
from tests.support.workers import Processes

LOCAL = Actor.local()
QUESTION = "Where do we meet on Friday?"


def test_each_persons_run_on_a_worker_reads_their_own_collection(processes: Processes):
    processes.workers(1)
    store = Store.open(processes.db)
    people = {}
    for name, place in (("ann", "the boathouse"), ("bob", "the old library")):
        account = store.create_account(LOCAL, name, "correct horse battery")
        people[name] = actor = Actor(account.id, name)
        store.create_collection(actor, "club")  # the same name, each person's own files
        add_files(store, actor, "club", [(f"{name}.md", f"# Meetings\n\nOn Friday we meet "
                                                        f"in {place}.\n".encode())])
    spec = load_bundled_template("retrieval_qa").to_dict()
    spec["agents"][0]["retrieval"]["collection"] = "club"
    manager = processes.manager(store)
    started = {name: manager.start(actor, spec, QUESTION, template_name="rag", human="never")
               for name, actor in people.items()}
    for name, run_id in started.items():
        deadline = time.monotonic() + 120
        while (info := store.get_run(people[name], run_id)).status not in FINAL_STATUSES:
            assert time.monotonic() < deadline, processes.logs()
            handle = manager.get(people[name], run_id)
            if handle is not None:  # queued or going: wait on its live channel
                handle.wait(1.0)
            else:
                time.sleep(0.1)
        assert info.status == "finished", (info.status, info.reason, processes.logs())
        events = [e.data for e in store.run_events(people[name], run_id)]
        first = next(e["message"] for e in events if e["type"] == "message")
        assert [c["source"] for c in first["meta"]["chunks"]] == [f"{name}.md"]
    manager.shutdown()
    store.close()

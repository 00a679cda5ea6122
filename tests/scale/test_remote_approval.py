"""Code approval for runs on a Celery worker, answered from ANOTHER studio process as the
structured decision it is: approve runs the code, refuse sends the reason (the code never
runs), edit runs the edited code. The question waiting in Redis carries the code blocks, so
any studio process can show them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.engine import CodeDecision
from studio.runs._channel import RunChannel
from studio.spec import load_bundled_template
from studio.store import Actor, Store
from tests.support.processes import wait_until
from tests.support.workers import Processes

LOCAL = Actor.local()
EDITED = "print('edited on the worker:', 6 * 7)"


def test_code_decisions_from_another_studio_process_reach_runs_on_a_worker(
        processes: Processes, tmp_path: Path):
    processes.workers(1)
    store = Store.open(processes.db)
    manager = processes.manager(store)
    document = load_bundled_template("code_assistant").to_dict()
    document["agents"][0]["code_execution"]["approve"] = True
    task = document["sample_tasks"][0]
    decisions = {"approve": CodeDecision.approve(),
                 "refuse": CodeDecision.refuse("ok"),  # a reason that used to read as consent
                 "edit": CodeDecision.edit(f"```python\n{EDITED}\n```")}
    runs = {name: manager.start(LOCAL, document, task, template_name=f"Approve first ({name})")
            for name in decisions}
    # the question waits in Redis with the code asking to run
    for run_id in runs.values():
        channel = RunChannel(manager._redis, run_id)
        wait_until(lambda channel=channel: (channel.state().get("pending") or {}).get("kind")
                 == "code_approval", what="the code approval on the worker")
        blocks = channel.state()["pending"]["blocks"]
        assert "is_prime" in blocks[0]["code"] and blocks[0]["language"] == "python"
    answers = tmp_path / "decisions.json"
    answers.write_text(json.dumps({runs[name]: d.to_dict() for name, d in decisions.items()}))
    shown_file = tmp_path / "shown.json"
    other = processes.studio_side("decide", "--decisions", str(answers), "--out",
                                  str(shown_file), name="studio_b")
    processes.wait(other, timeout=180)
    shown = json.loads(shown_file.read_text())
    for run_id in runs.values():  # the other studio showed the code it was asked about
        assert "is_prime" in shown[run_id]["blocks"][0]["code"]

    def events(run_id: str) -> list[dict[str, Any]]:
        return [e.data for e in store.run_events(LOCAL, run_id)]

    def executed(run_id: str) -> list[dict[str, Any]]:
        return [e for e in events(run_id) if e["type"] == "code_executed"]

    # approve: the code the agent wrote runs on the worker
    wait_until(lambda: executed(runs["approve"]), what="the approved code to run")
    (ran, *_) = executed(runs["approve"])
    assert ran["exit_code"] == 0 and "prime" in ran["output"].lower(), ran
    # edit: the edited code runs instead
    wait_until(lambda: executed(runs["edit"]), what="the edited code to run")
    assert "edited on the worker: 42" in executed(runs["edit"])[0]["output"]
    # refuse: the agents read the reason; nothing runs
    wait_until(lambda: any(e["type"] == "message" and "Reason: ok" in (e["message"]["content"] or "")
                         for e in events(runs["refuse"])), what="the refusal in the run")
    assert not executed(runs["refuse"])
    for name, decision in decisions.items():
        received = [e["decision"] for e in events(runs[name])
                    if e["type"] == "human_input_received"]
        assert received[0] == decision.to_dict(), name
    for run_id in runs.values():
        handle = manager.get(LOCAL, run_id)
        if handle is not None:
            handle.cancel()
    for run_id in runs.values():
        wait_until(lambda run_id=run_id: store.get_run(LOCAL, run_id).status
                 not in ("queued", "running"), what="the runs to stop")
    manager.shutdown()
    store.close()

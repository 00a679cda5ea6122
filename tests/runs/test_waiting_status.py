"""A run reads "waiting" as soon as its question is out: a client that sees the
human_input_requested event (over the live stream or HTTP) and then asks for the status
must not read "running" because the mailbox has not taken the question yet."""

from __future__ import annotations

from pathlib import Path

from studio.engine import NoHuman, RunControl
from studio.runs._execution import Execution
from studio.runs._handle import RunHandle, TrackedHuman
from studio.store import Actor, Store


def test_the_question_event_and_the_waiting_status_go_out_together(store: Store,
                                                                    tmp_path: Path) -> None:
    run_id = store.create_run(Actor.local(), "Ask", {}, "a task", "Demo", work_dir=str(tmp_path))
    human = TrackedHuman(NoHuman())  # nobody is asked here: the events are fed in
    handle = RunHandle(run_id, template_name="Ask", task="a task", model_label="Demo",
                       work_dir=tmp_path, control=RunControl(human=human), human=human)
    execution = Execution(store, handle, holder=None)
    seen: list[tuple[str, str]] = []
    # what a worker tells every studio process (its Redis state) as each event goes out
    execution.mirror = lambda held, event: seen.append((event["type"], held.status))

    execution.on_event({"type": "run_started", "task": "a task"})
    execution.on_event({"type": "human_input_requested", "agent": "user", "prompt": "Go on?",
                        "kind": "reply", "options": [], "blocks": []})
    assert handle.status == "waiting", "the mailbox has not taken it yet, but it is out"
    execution.on_event({"type": "human_input_received", "agent": "user", "text": "yes",
                        "kind": "reply"})
    assert handle.status == "running"
    assert seen[1:] == [("human_input_requested", "waiting"), ("human_input_received", "running")]

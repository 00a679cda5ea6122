"""Runs: lifecycle, ordered events, listing, export, delete, concurrent writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from studio.engine import Message
from studio.store import (
    PERSISTED_EVENTS,
    Actor,
    LeaseLost,
    NotFound,
    Store,
    StoreError,
    actor_of,
)

LOCAL = Actor.local()

SNAPSHOT = {"format": 1, "agents": [{"name": "a"}, {"name": "b"}]}


def _message_event(store: Store, run_id: str, seq: int, text: str) -> None:
    message = Message(role="assistant", content=text, name="a")
    store.append_event(
        run_id,
        seq,
        "message",
        {"message": message.to_dict()},
        chat_id="c1",
        sender="a",
        recipient="b",
        role=message.role,
        content=message.content,
    )


def test_run_lifecycle(store: Store, tmp_path: Path) -> None:
    run_id = store.create_run(LOCAL, "Essay", SNAPSHOT, "Write a haiku", "Demo model", work_dir=tmp_path)

    running = store.get_run(LOCAL, run_id)
    assert (running.status, running.task, running.model_label) == (
        "running",
        "Write a haiku",
        "Demo model",
    )
    assert running.template_snapshot == SNAPSHOT
    assert running.work_dir == str(tmp_path)
    assert running.finished_at is None

    store.update_run_usage(run_id, 120, 0.002)
    assert (store.get_run(LOCAL, run_id).total_tokens, store.get_run(LOCAL, run_id).cost) == (120, 0.002)

    usage = {"prompt_tokens": 100, "completion_tokens": 50, "cost": 0.01, "by_agent": {"a": 150}}
    done = store.finish_run(run_id, "finished", "termination message", "A haiku.", usage)

    assert (done.status, done.reason, done.summary) == (
        "finished",
        "termination message",
        "A haiku.",
    )
    assert (done.total_tokens, done.cost) == (150, 0.01)
    assert done.usage == usage
    assert done.finished_at is not None and done.duration is not None and done.duration >= 0
    with pytest.raises(StoreError, match="finished, failed, cancelled, interrupted"):
        store.finish_run(run_id, "done")


def test_events_come_back_in_order(store: Store) -> None:
    run_id = store.create_run(LOCAL, "T", SNAPSHOT, "task")
    for seq in (1, 2, 3):
        _message_event(store, run_id, seq, f"m{seq}")
    store.append_event(run_id, 5, "chat_finished", {"reason": "max turns"}, chat_id="c1")
    store.append_event(run_id, 4, "tool_result", {"call_id": "x", "content": "3"}, depth=1)

    events = store.run_events(LOCAL, run_id)

    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert [e.kind for e in events] == ["message"] * 3 + ["tool_result", "chat_finished"]
    assert Message.from_dict(events[0].data["message"]) == Message("assistant", "m1", name="a")
    assert (events[0].sender, events[0].recipient, events[0].role) == ("a", "b", "assistant")
    assert events[3].depth == 1
    assert [e.seq for e in store.run_events(LOCAL, run_id, after_seq=3)] == [4, 5]
    assert store.next_seq(run_id) == 6
    with pytest.raises(StoreError, match="seq 2"):
        _message_event(store, run_id, 2, "again")
    with pytest.raises(NotFound, match="nope"):
        store.append_event("nope", 1, "message", {})


def test_list_runs_filters_and_counts(store: Store) -> None:
    first = store.create_run(LOCAL, "A", SNAPSHOT, "one")
    second = store.create_run(LOCAL, "B", SNAPSHOT, "two")
    third = store.create_run(LOCAL, "A", SNAPSHOT, "three")
    store.finish_run(first, "failed", "error")

    assert {r.id for r in store.list_runs(LOCAL)} == {first, second, third}
    assert store.list_runs(LOCAL)[0].id in {second, third}  # newest first
    assert {r.id for r in store.list_runs(LOCAL, template="A")} == {first, third}
    assert [r.id for r in store.list_runs(LOCAL, status="failed")] == [first]
    assert len(store.list_runs(LOCAL, limit=2)) == 2
    assert len(store.list_runs(LOCAL, limit=2, offset=2)) == 1
    assert store.count_runs(LOCAL) == 3 and store.count_runs(LOCAL, template="A", status="running") == 1


def test_opening_events_say_how_each_run_began_to_whoever_may_see_it(store: Store) -> None:
    """One query for a list of runs: the first event of a kind among each run's first few
    (Compare marks its continued and forked runs so), only of runs the actor may see."""
    admin = actor_of(store.create_account(LOCAL, "teacher", "a long password 1", role="admin"))
    ann = actor_of(store.create_account(admin, "ann", "a long password 1"))
    plain, forked, late, hers = (store.create_run(who, "T", SNAPSHOT, "task")
                                 for who in (LOCAL, LOCAL, LOCAL, ann))
    for run_id in (plain, forked, late, hers):
        store.append_event(run_id, 1, "run_started", {"task": "task"})
    store.append_event(plain, 2, "message", {})
    store.append_event(forked, 2, "lineage", {"kind": "fork", "from_run": plain, "at": 1})
    store.append_event(forked, 3, "lineage", {"kind": "not the first"})
    store.append_event(late, 2, "message", {})
    store.append_event(late, 3, "lineage", {"kind": "too late"})  # past ``within``
    store.append_event(hers, 2, "lineage", {"kind": "continue", "from_run": plain})

    seen = store.opening_events(admin, [plain, forked, late, hers, "nope"], "lineage", within=2)
    assert {run_id: e.data["kind"] for run_id, e in seen.items()} == {
        forked: "fork", hers: "continue"}
    assert seen[forked].data["from_run"] == plain and seen[forked].seq == 2
    assert list(store.opening_events(ann, [forked, hers], "lineage", within=2)) == [hers]
    assert store.opening_events(admin, [], "lineage", within=2) == {}


def test_delete_run_returns_its_work_dir(store: Store, tmp_path: Path) -> None:
    run_id = store.create_run(LOCAL, "A", SNAPSHOT, "t", work_dir=tmp_path / "w")
    _message_event(store, run_id, 1, "hi")

    assert store.delete_run(LOCAL, run_id) == str(tmp_path / "w")
    with pytest.raises(NotFound):
        store.get_run(LOCAL, run_id)
    with pytest.raises(NotFound):
        store.run_events(LOCAL, run_id)


def test_export_run_holds_run_and_transcript(store: Store) -> None:
    run_id = store.create_run(LOCAL, "A", SNAPSHOT, "the task", "Demo")
    _message_event(store, run_id, 1, "hello")
    _message_event(store, run_id, 2, "TERMINATE")
    store.finish_run(run_id, "finished", "termination message", "hello")

    exported = store.export_run(LOCAL, run_id)

    assert exported["format"] == "roundtable-run/1"
    assert exported["run"]["task"] == "the task"
    assert exported["run"]["template_snapshot"] == SNAPSHOT
    assert [e["content"] for e in exported["events"]] == ["hello", "TERMINATE"]
    import json

    assert json.loads(json.dumps(exported)) == exported


def test_concurrent_writers_keep_order_per_run(store: Store) -> None:
    runs = [store.create_run(LOCAL, "A", SNAPSHOT, f"task {i}") for i in range(2)]
    count = 60
    errors: list[BaseException] = []
    start = threading.Barrier(3)
    seen_while_writing: list[list[int]] = []

    def write(run_id: str) -> None:
        try:
            start.wait()
            for seq in range(1, count + 1):
                _message_event(store, run_id, seq, f"{run_id}:{seq}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(r,)) for r in runs]
    for thread in threads:
        thread.start()
    start.wait()
    while any(t.is_alive() for t in threads):
        seen_while_writing.append([e.seq for e in store.run_events(LOCAL, runs[0])])
    for thread in threads:
        thread.join()

    assert errors == []
    for run_id in runs:
        events = store.run_events(LOCAL, run_id)
        assert [e.seq for e in events] == list(range(1, count + 1))
        assert all(e.content == f"{run_id}:{e.seq}" for e in events)
    # A reader during the writes always sees a gap-free prefix of the transcript.
    for seqs in seen_while_writing:
        assert seqs == list(range(1, len(seqs) + 1))


def test_engine_events_are_stored_whole(store: Store) -> None:
    from studio.engine import ToolCall, events

    run_id = store.create_run(LOCAL, "A", SNAPSHOT, "t")
    message = Message("assistant", "calling", name="a", tool_calls=(ToolCall("c1", "add"),))
    stream = [
        events.ChatStarted(chat_id="c", sender="a", recipient="b", members=("a", "b")),
        events.MessageSent(chat_id="c", sender="a", recipient="b", message=message),
        events.ToolResult(chat_id="c", agent="b", call_id="c1", name="add", content="3"),
        events.ChatFinished(chat_id="c", reason="max turns", summary="3"),
    ]
    assert "token" not in PERSISTED_EVENTS and "message" in PERSISTED_EVENTS
    for seq, event in enumerate(stream, start=1):
        store.append_engine_event(run_id, seq, event)

    stored = store.run_events(LOCAL, run_id)

    assert [e.kind for e in stored] == ["chat_started", "message", "tool_result", "chat_finished"]
    assert Message.from_dict(stored[1].data["message"]) == message
    assert (stored[1].sender, stored[1].recipient, stored[1].content) == ("a", "b", "calling")
    assert (stored[2].role, stored[2].content, stored[2].sender) == ("tool", "3", "b")
    assert stored[0].data["members"] == ["a", "b"]
    assert stored[3].content == "3" and stored[3].data["reason"] == "max turns"


def _end_rows(first_seq: int) -> list[dict[str, object]]:
    """A chat's end and the run's end, as the run manager writes them."""
    return [{"seq": first_seq, "kind": "chat_finished", "data": {"reason": "cancelled"},
             "chat_id": "c1", "content": ""},
            {"seq": first_seq + 1, "kind": "run_finished", "data": {"status": "cancelled"},
             "content": ""}]


def test_the_end_of_a_run_is_one_commit(store: Store) -> None:
    run_id = store.create_run(LOCAL, "T", SNAPSHOT, "task", holder=store.open_lease("cli", 60))
    holder = store.get_run(LOCAL, run_id).holder
    _message_event(store, run_id, 1, "hello")
    commits: list[object] = []

    def count(connection: object) -> None:
        commits.append(connection)

    sa.event.listen(store.engine, "commit", count)
    try:
        done = store.finish_run(run_id, "cancelled", "cancelled", usage={"total_tokens": 3},
                                holder=holder, events=_end_rows(2))
    finally:
        sa.event.remove(store.engine, "commit", count)

    assert len(commits) == 1  # one transaction: one flush to disk on SQLite
    assert done.status == "cancelled" and done.total_tokens == 3
    assert [(e.seq, e.kind) for e in store.run_events(LOCAL, run_id)] == [
        (1, "message"), (2, "chat_finished"), (3, "run_finished")]


def test_an_end_that_cannot_be_stored_leaves_nothing_of_it(store: Store) -> None:
    lease = store.open_lease("cli", 60)
    run_id = store.create_run(LOCAL, "T", SNAPSHOT, "task", holder=lease)
    _message_event(store, run_id, 1, "hello")
    chat_end, run_end = _end_rows(2)
    with pytest.raises(StoreError, match="seq 1"):  # the last event clashes: all rolled back
        store.finish_run(run_id, "finished", "done", events=[chat_end, {**run_end, "seq": 1}])
    with pytest.raises(LeaseLost):  # another process holds the run by now
        store.finish_run(run_id, "finished", "done", holder="someone-else", events=_end_rows(2))

    assert store.get_run(LOCAL, run_id).status == "running"
    assert [e.kind for e in store.run_events(LOCAL, run_id)] == ["message"]
    store.close_lease(lease)  # its process is gone: the run was never ended
    assert store.mark_interrupted_runs() == 1
    assert store.get_run(LOCAL, run_id).status == "interrupted"
    assert [e.kind for e in store.run_events(LOCAL, run_id)] == ["message"]

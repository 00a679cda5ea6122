"""Continue a finished run and fork one from a message: new runs rebuilt from the stored
events (nothing said before is produced again), the old run left as it was."""

from __future__ import annotations

from typing import Any

import pytest

from studio.runs import LINEAGE, RunError, continue_run, fork_points, fork_run
from studio.spec import load_bundled_template
from studio.store import Actor

from .conftest import wait_status

LOCAL = Actor.local()


def said(manager, run_id: str) -> list[tuple[str, str]]:
    return [(e["sender"], e["message"]["content"] or "") for e in manager.transcript(LOCAL, run_id)
            if e["type"] == "message"]


def finished_run(manager, name: str, task: str | None = None) -> str:
    spec = load_bundled_template(name)
    run_id = manager.start(LOCAL, spec, task or spec.default_task, template_name=spec.name,
                           human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(60) and handle.status == "finished"
    return run_id


def lineage(manager, run_id: str) -> dict[str, Any]:
    (note,) = [e for e in manager.transcript(LOCAL, run_id) if e["type"] == LINEAGE]
    return note


def test_a_finished_group_chat_continues_with_a_follow_up(make_manager):
    manager = make_manager()
    first = finished_run(manager, "brainstorm")
    before = said(manager, first)
    second = continue_run(manager, LOCAL, first, "Which idea should we try first, and why?",
                          human="never")
    handle = manager.get(LOCAL, second)
    assert handle.wait(60) and handle.status == "finished", handle.error
    after = said(manager, second)
    assert after[:len(before)] == before, "the old conversation is copied, word for word"
    assert after[len(before)] == ("user", "Which idea should we try first, and why?")
    assert len(after) > len(before) + 1, "the team answers the follow-up live"
    assert said(manager, first) == before, "the old run is left as it was"
    assert lineage(manager, second)["kind"] == "continue"
    assert lineage(manager, second)["from_run"] == first
    info = manager.store.get_run(LOCAL, second)
    assert (info.template_name, info.task) == ("Brainstorm", manager.store.get_run(LOCAL, first).task)


def test_a_two_agent_chat_continues_and_its_agents_keep_the_history(make_manager):
    manager = make_manager()
    first = finished_run(manager, "teacher_student", "What is a fraction, really?")
    second = continue_run(manager, LOCAL, first, "Can you give me one more example?", human="never")
    handle = manager.get(LOCAL, second)
    assert handle.wait(60) and handle.status == "finished", handle.error
    new = said(manager, second)[len(said(manager, first)):]
    assert new[0] == ("student", "Can you give me one more example?")
    assert new[1][0] == "teacher" and new[1][1].strip()


def test_a_run_forks_from_an_edited_message_and_goes_on_live(make_manager):
    manager = make_manager()
    first = finished_run(manager, "debate_judge")
    points = fork_points(manager, LOCAL, first)
    assert [p.sender for p in points[:3]] == ["moderator", "proponent", "opponent"]
    second = fork_run(manager, LOCAL, first, 1, "Opening, for the motion: homework steals play.",
                      human="never")
    handle = manager.get(LOCAL, second)
    assert handle.wait(60) and handle.status == "finished", handle.error
    old, new = said(manager, first), said(manager, second)
    assert new[0] == old[0]
    assert new[1] == ("proponent", "Opening, for the motion: homework steals play.")
    assert [s for s, _ in new[2:]] == [s for s, _ in old[2:]], "the rest is played live"
    note = lineage(manager, second)
    assert (note["kind"], note["at"], note["edited"]) == ("fork", 1, True)


def test_what_cannot_be_continued_or_forked_is_refused_with_the_reason(make_manager):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    waiting = manager.start(LOCAL, spec, spec.default_task, template_name=spec.name)
    wait_status(manager.get(LOCAL, waiting), "waiting")
    with pytest.raises(RunError, match="still going"):
        continue_run(manager, LOCAL, waiting, "more")
    manager.get(LOCAL, waiting).cancel()
    assert manager.get(LOCAL, waiting).wait(10)
    with pytest.raises(RunError, match="only a finished run can be continued"):
        continue_run(manager, LOCAL, waiting, "more")
    first = finished_run(manager, "tool_helper")
    with pytest.raises(RunError, match="write the follow-up"):
        continue_run(manager, LOCAL, first, "  ")
    with pytest.raises(RunError, match="message 99 does not exist"):
        fork_run(manager, LOCAL, first, 99, "x")


def test_a_continued_run_continues_again_and_forks_after_its_follow_up(make_manager):
    """Each follow-up is sent again when the conversation is rebuilt: a second follow-up is
    sent (it was lost: the first one's chat was replayed in its place), and a fork inside
    the follow-up's chat replays (it stopped, "the recording does not match")."""
    manager = make_manager()
    first = finished_run(manager, "brainstorm")
    second = continue_run(manager, LOCAL, first, "Which idea should we try first?", human="never")
    assert manager.get(LOCAL, second).wait(60)
    third = continue_run(manager, LOCAL, second, "And what comes after that?", human="never")
    handle = manager.get(LOCAL, third)
    assert handle.wait(60) and handle.status == "finished", handle.error
    before, after = said(manager, second), said(manager, third)
    assert after[:len(before)] == before
    assert after[len(before)] == ("user", "And what comes after that?")
    assert "And what comes after that?" in after[len(before) + 1][1]
    at = before.index(("user", "Which idea should we try first?"))
    for index, text in ((at + 1, None), (at, "Which idea is the cheapest?")):
        forked = fork_run(manager, LOCAL, third, index, text, human="never")
        handle = manager.get(LOCAL, forked)
        assert handle.wait(60) and handle.status == "finished", (handle.status, handle.reason)
        new = said(manager, forked)
        assert new[:at] == before[:at] and new[at] == ("user", text or before[at][1])
        assert len(new) > index + 1, "the team goes on live after the fork"

"""Continue and fork on the Demo model show a difference: the team answers a follow-up's
own words, and an edited message changes what comes next (a scripted template and a
Builder shape without a script)."""

from __future__ import annotations

from studio.app._builder_shapes import shape_team
from studio.runs import continue_run, fork_run
from studio.spec import load_bundled_template, load_template
from studio.store import Actor
from tests.engine.test_demo_voice import nests_a_quote

from .test_lineage import said

LOCAL = Actor.local()
LIBRARY = "Get more teenagers to visit the Millbrook village library on Friday evenings"


def finished(manager, spec, task: str) -> str:
    run_id = manager.start(LOCAL, spec, task, template_name=spec.name, human="never")
    handle = manager.get(LOCAL, run_id)
    assert handle is not None and handle.wait(60) and handle.status == "finished"
    return run_id


def ended(manager, run_id: str) -> list[tuple[str, str]]:
    handle = manager.get(LOCAL, run_id)
    assert handle.wait(60) and handle.status == "finished", handle.error
    return said(manager, run_id)


def test_a_brainstorm_answers_the_follow_up_with_its_own_shortlist(make_manager):
    manager = make_manager()
    first = finished(manager, load_bundled_template("brainstorm"), LIBRARY)
    before = said(manager, first)
    shortlist = before[-1][1]
    question = "Which of these three could we try before the summer holidays?"
    after = ended(manager, continue_run(manager, LOCAL, first, question, human="never"))
    new = after[len(before):]
    assert new[0] == ("user", question)
    who, answer = new[1]
    assert who == "facilitator"
    assert question in answer and "before the summer holidays" in answer.split(question)[1]
    # a real answer: one of the three ideas on the shortlist, named
    named = [line.split(". ", 1)[1].split(".")[0].lower() for line in shortlist.splitlines()
             if line[:2] in ("1.", "2.", "3.")]
    assert any(idea in answer.lower() for idea in named), (named, answer)
    assert len(new) > 2 and new[-1][1].rstrip().endswith("TERMINATE")
    assert all(not nests_a_quote(text) for _, text in new)


def test_a_brainstorm_forked_at_an_edited_message_goes_another_way(make_manager):
    manager = make_manager()
    first = finished(manager, load_bundled_template("brainstorm"), LIBRARY)
    old = said(manager, first)
    assert old[3][0] == "realist"
    edit = "Only the launch party is realistic: we have no staff for the rest."
    new = ended(manager, fork_run(manager, LOCAL, first, 3, edit, human="never"))
    assert new[:3] == old[:3] and new[3] == ("realist", edit)
    assert new[4][0] == old[4][0] == "facilitator"
    assert new[4][1] != old[4][1], "the next message answers the edit, not the old script"
    assert "the launch party" in new[4][1] and new[4][1].rstrip().endswith("TERMINATE")


def test_a_builder_shape_continues_and_forks_in_the_persons_words(make_manager, registry):
    manager = make_manager()
    spec = load_template(shape_team("group"), registry=registry)
    first = finished(manager, spec, spec.default_task)
    before = said(manager, first)
    follow_up = "What about the bins by the door?"
    after = ended(manager, continue_run(manager, LOCAL, first, follow_up, human="never"))
    reply = after[len(before) + 1]
    assert reply[0] == "moderator" and f'You asked: "{follow_up}"' in reply[1]
    assert "the bins by the door" in reply[1].split(follow_up)[1]

    edit = "Only the reading corner matters: we have no time for the rest."
    forked = ended(manager, fork_run(manager, LOCAL, first, 2, edit, human="never"))
    assert forked[2] == ("optimist", edit)
    assert forked[3][0] == "realist" and forked[3][1] != before[3][1]
    assert "Only the reading corner matters" in forked[3][1]
    assert "the reading corner" in forked[-1][1]  # the moderator's sum-up keeps to it

"""Where a person's words came from, through the runs layer: a follow-up and a forked edit
are marked as theirs in the run record (so a continued or forked run still knows), the
Demo model answers them as a person's and another model's agent as an agent, and runs
stored before the marks existed get them from their lineage notes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from studio.runs import LINEAGE, continue_run, fork_run
from studio.runs._lineage import recording_of
from studio.runs._persist import store_row
from studio.spec import load_bundled_template, load_template
from studio.store import Actor
from tests.engine.test_demo_origins import answers_a_person
from tests.support.oai_server import OAIServer, text

from .test_demo_lineage import finished

LOCAL = Actor.local()
LIBRARY = "Get more teenagers to visit the Millbrook village library on Friday evenings"
QUESTION = "Which day of the week suits the museum best?"


def mixed(base_url: str) -> dict[str, Any]:
    """A two-agent team: ``lead`` opens and speaks on a real OpenAI-compatible client (the
    loopback test server), ``helper`` on the Demo model."""
    return {
        "format": 1, "name": "mixed pair",
        "models": {"remote": {"provider": "openai_compatible", "base_url": base_url,
                              "model": "test-model", "retries": 0}},
        "agents": [
            {"name": "lead", "kind": "assistant", "model": "remote", "human_input": "never",
             "system_message": "You organise the trip and ask the helper."},
            {"name": "helper", "kind": "assistant", "model": "demo", "human_input": "never",
             "system_message": "You are a helpful assistant. Answer the lead's questions."}],
        "pattern": {"kind": "two_agent", "starter": "lead", "max_turns": 2,
                    "edges": [{"source": "lead", "target": "helper"}]},
        "sample_tasks": ["Plan a class trip to the science museum."],
    }


def messages(manager, run_id: str) -> list[dict[str, Any]]:
    return [e for e in manager.transcript(LOCAL, run_id) if e["type"] == "message"]


def said(manager, run_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [(e["sender"], e["message"]["content"] or "", e["message"].get("meta") or {})
            for e in messages(manager, run_id)]


@pytest.fixture
def server():
    with OAIServer() as srv:
        yield srv


def test_a_mixed_team_keeps_its_opener_an_agent_and_the_persons_words_theirs(
        make_manager, registry, server):
    manager = make_manager()
    spec = load_template(mixed(server.base_url), registry=registry)
    server.push(text(QUESTION), text("Good, then we book the bus."), text("Thanks, agreed."))
    first = finished(manager, spec, spec.default_task)
    run = said(manager, first)
    assert [(who, words) for who, words, _ in run[1:3]] == [("helper", run[1][1]),
                                                            ("lead", QUESTION)]
    assert "usage" in run[2][2] and not {"human", "edited", "followup"} & set(run[2][2])
    assert not answers_a_person(run[3][1]), f"lead's question taken for a person's: {run[3][1]}"

    follow_up = "Could we go on a Friday instead?"
    continued = ended_id(manager, continue_run(manager, LOCAL, first, follow_up, human="never"))
    after = said(manager, continued)
    who, words, meta = after[len(run)]
    assert (who, words) == ("lead", follow_up) and meta.get("human") and meta.get("followup")
    assert after[len(run) + 1][0] == "helper"
    assert answers_a_person(after[len(run) + 1][1], follow_up)

    edit = "Only Tuesdays are free for our class: plan around that."
    forked = said(manager, ended_id(manager, fork_run(manager, LOCAL, first, 2, edit,
                                                   human="never")))
    assert forked[2][:2] == ("lead", edit) and forked[2][2].get("edited")
    assert not forked[1][2].get("edited")
    assert forked[3][0] == "helper" and answers_a_person(forked[3][1], edit[:30]), forked[3]


# -- runs stored before follow-ups and edits were marked -------------------------------------
def as_stored_before_marks(manager, run_id: str, *, from_run: str | None = None) -> str:
    """A finished copy of ``run_id`` as the studio stored it before follow-ups and edits
    were marked (their marks taken out; the lineage note pointing at ``from_run``)."""
    info = manager.store.get_run(LOCAL, run_id)
    events = copy.deepcopy(manager.transcript(LOCAL, run_id))
    for event in events:
        meta = (event.get("message") or {}).get("meta") or {}
        if meta.pop("followup", None):
            meta.pop("human", None)
        meta.pop("edited", None)
        if event["type"] == LINEAGE and from_run is not None:
            event["from_run"] = from_run
    old = manager.store.create_run(LOCAL, info.template_name, info.template_snapshot, info.task,
                                   info.model_label, events=[store_row(e) for e in events])
    manager.store.finish_run(old, "finished", info.reason, info.summary)
    return old


def index_of(manager, run_id: str, words: str) -> int:
    return next(i for i, (_, content, _) in enumerate(said(manager, run_id)) if content == words)


def test_an_old_continued_runs_follow_up_is_still_answered_as_the_persons(make_manager):
    manager = make_manager()
    first = finished(manager, load_bundled_template("brainstorm"), LIBRARY)
    question = "Which of these three could we try before the summer holidays?"
    old = as_stored_before_marks(manager, ended_id(manager, continue_run(
        manager, LOCAL, first, question, human="never")))
    at = index_of(manager, old, question)
    assert not said(manager, old)[at][2].get("human")
    _, recording = recording_of(manager, LOCAL, old)
    assert recording.messages[at].meta.get("followup")
    assert said(manager, old) == said(manager, as_stored_before_marks(manager, old)), \
        "reading a run does not change what is stored"
    # forked right after the follow-up: the team answers it live, as the person's question
    forked = said(manager, ended_id(manager, fork_run(manager, LOCAL, old, at, human="never")))
    assert forked[at][2].get("followup"), "the new run's copy keeps the mark"
    assert forked[at + 1][0] == "facilitator" and question in forked[at + 1][1]


def test_an_old_forked_runs_edit_is_still_answered_as_the_persons(make_manager):
    manager = make_manager()
    first = finished(manager, load_bundled_template("brainstorm"), LIBRARY)
    edit = "Only the launch party is realistic: we have no staff for the rest."
    old = as_stored_before_marks(manager, ended_id(manager, fork_run(
        manager, LOCAL, first, 3, edit, human="never")))
    assert not said(manager, old)[3][2].get("edited")
    again = said(manager, ended_id(manager, fork_run(manager, LOCAL, old, 3, human="never")))
    assert again[3][:2] == ("realist", edit) and again[3][2].get("edited")
    assert again[4][0] == "facilitator" and "the launch party" in again[4][1]


def test_the_marks_come_from_every_old_run_of_a_chain(make_manager):
    """An old run forked (unedited) from an old continued run: its own note names nothing,
    the note of the run it comes from names the follow-up."""
    manager = make_manager()
    first = finished(manager, load_bundled_template("brainstorm"), LIBRARY)
    question = "Which of these three could we try before the summer holidays?"
    continued = ended_id(manager, continue_run(manager, LOCAL, first, question, human="never"))
    at = index_of(manager, continued, question)
    forked = ended_id(manager, fork_run(manager, LOCAL, continued, at + 1, human="never"))
    old_continued = as_stored_before_marks(manager, continued)
    old_fork = as_stored_before_marks(manager, forked, from_run=old_continued)
    assert not said(manager, old_fork)[at][2].get("human")
    _, recording = recording_of(manager, LOCAL, old_fork)
    assert recording.messages[at].meta.get("followup")
    again = said(manager, ended_id(manager, fork_run(manager, LOCAL, old_fork, at, human="never")))
    assert again[at + 1][0] == "facilitator" and question in again[at + 1][1]
    # the run it came from deleted: what cannot be read is left as it is, nothing fails
    manager.delete(LOCAL, old_continued)
    _, recording = recording_of(manager, LOCAL, old_fork)
    assert not recording.messages[at].meta.get("followup")


def ended_id(manager, run_id: str) -> str:
    handle = manager.get(LOCAL, run_id)
    assert handle.wait(60) and handle.status == "finished", (handle.status, handle.reason,
                                                               handle.error)
    return run_id

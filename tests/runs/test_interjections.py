"""A person's interjection is never dropped, through the runs layer: on the Conversational
chess template it is delivered at the next turn after the board's answer; when the run ends
first it is recorded as a notice carrying its text; once the run has ended a new one is
refused with a clear error instead of vanishing."""

from __future__ import annotations

from typing import Any

import pytest

from studio.runs import RunError
from studio.spec import load_bundled_template
from studio.store import Actor

from .conftest import wait_for, wait_status

LOCAL = Actor.local()
NOTE = "Explain each move in one sentence, please."


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def undelivered(events: list[dict[str, Any]]) -> list[str]:
    return [e["undelivered"] for e in events
            if e["type"] == "notice" and e.get("kind") == "undelivered"]


def test_chess_takes_an_interjection_sent_between_a_move_and_the_boards_answer(make_manager):
    manager = make_manager(demo_token_delay=0.002)
    spec = load_bundled_template("chess_game")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.sample_tasks[0],
                                              template_name=spec.name, human="never"))
    assert handle is not None
    # hold the game right after White's first move (a tool call the board has not run yet)
    wait_for(handle, lambda ev: any(e["type"] == "tool_call" for e in ev))
    handle.pause()
    wait_for(handle, lambda ev: "paused" in kinds(ev))
    handle.interject(NOTE)
    handle.resume()
    assert handle.wait(60) and handle.status == "finished"
    stored = manager.transcript(LOCAL, handle.run_id)
    said = [e for e in stored if e["type"] == "message"]
    at = next(i for i, e in enumerate(said) if e["message"]["content"] == NOTE)
    assert said[at - 1]["sender"] == "board"  # after the board answered the move
    assert len(said) > at + 1  # the players went on after it
    assert undelivered(stored) == []


def test_an_interjection_the_run_ended_before_is_recorded_with_its_text(make_manager, store):
    manager = make_manager()
    spec = load_bundled_template("human_in_the_loop")
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, "Draft an email.", template_name=spec.name))
    assert handle is not None
    wait_status(handle, "waiting")
    handle.interject(NOTE)  # queued for the next turn...
    handle.answer("exit")  # ...but the person's answer ends the chat first
    assert handle.wait(10) and handle.status == "finished"
    live = handle.events_since(0)
    assert undelivered(live) == [NOTE]
    notice = next(e for e in live if e.get("kind") == "undelivered")
    assert "not delivered: the run ended first" in notice["text"] and NOTE in notice["text"]
    assert notice["seq"] < live[-1]["seq"] and live[-1]["type"] == "run_finished"
    stored = manager.transcript(LOCAL, handle.run_id)
    assert undelivered(stored) == [NOTE]
    assert "interjection" not in kinds(stored)
    with pytest.raises(RunError, match="already finished"):
        handle.interject("too late")


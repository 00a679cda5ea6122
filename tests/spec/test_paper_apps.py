"""The AutoGen paper's applications as bundled templates, run on the Demo model: each does
what the paper shows, with real tools deciding what happens (see tests/components for the
tools' own tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.engine import RunControl, ScriptedHuman, StopReason, events
from studio.spec import load_bundled_template
from studio.spec.build import build_team


def run(name: str, tmp_path: Path, task: str | None = None):
    spec = load_bundled_template(name)
    seen: list[events.Event] = []
    team = build_team(spec, work_dir=tmp_path)
    result = team.run(task, control=RunControl(on_event=seen.append))
    return spec, result, seen


def said(result) -> list[tuple[str | None, str]]:
    return [(m.name, m.content or "") for m in result.messages]


def tool_results(result) -> list[str]:
    return [m.content or "" for m in result.messages if m.role == "tool"]


def test_chess_board_refuses_an_illegal_move_and_sees_the_mate(tmp_path):
    _, result, _ = run("chess_game", tmp_path)
    verdicts = [r.splitlines()[0] for r in tool_results(result)]
    assert verdicts[1].startswith("Illegal: a black pawn cannot move e7-e4. Black to move. "
                                  "Legal moves: Na6, Nc6,")
    assert sum(v.startswith("Legal:") for v in verdicts) == 7
    assert verdicts[-1] == ("Legal: White plays Qxf7# (h5f7). Checkmate: White wins. "
                            "The game is over.")
    assert "8 | r . b q k b . r |" in tool_results(result)[-1]  # the board is drawn
    assert result.stop_reason == StopReason.TERMINATION


def test_grounding_agent_unblocks_the_assistant(tmp_path):
    _, result, _ = run("decision_grounding", tmp_path)
    speakers = [name for name, _ in said(result) if name in ("assistant", "grounding_agent")]
    assert speakers[:2] == ["assistant", "grounding_agent"]
    observations = tool_results(result)
    assert observations[1] == "Nothing happens."  # the ungrounded attempt fails
    assert observations[2].startswith(  # the facts follow from the state of the house
        "1. Your last action 'take mug from countertop 1' did nothing because there is no "
        "mug in/on countertop 1.")
    assert observations[-1].endswith("Task complete!")


def test_retrieval_qa_fetches_more_context_by_itself_and_cites(tmp_path):
    _, result, _ = run("retrieval_qa", tmp_path)
    first, ask, more, answer = result.messages
    assert first.meta["kind"] == "retrieved_context"
    assert [c["id"] for c in first.meta["chunks"]] == ["faq.md#1", "handbook.md#3"]
    assert "15 euros for students" not in first.content  # the fees are not in the first two
    assert ask.content.endswith("UPDATE CONTEXT")
    assert more.name == "rag_proxy" and more.meta["round"] == 2  # the proxy, not the model
    assert more.meta["chunks"][0] == {"n": 3, "id": "handbook.md#2", "source": "handbook.md",
                                      "location": "Community garden handbook › Fees",
                                      "score": pytest.approx(1.5, abs=0.1), "rank": 3}
    assert "[3] handbook.md, Community garden handbook › Fees" in more.content
    assert "[3]" in answer.content and "[2]" in answer.content
    assert result.stop_reason == StopReason.TERMINATION


def test_retrieval_code_runs_code_written_from_the_documentation(tmp_path):
    _, result, seen = run("retrieval_code", tmp_path)
    first = result.messages[0]
    assert [c["location"].split(" › ")[-1] for c in first.meta["chunks"]] == [
        "Simple linear regression", "Relations between two inputs: covariance and correlation"]
    ran = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(ran) == 1 and ran[0].exit_code == 0
    assert "score = 5.60 * hours + 46.20" in ran[0].output
    assert "46.20" in result.summary


def test_math_answers_are_checked_by_the_proxys_code(tmp_path):
    _, result, seen = run("math_problem_solving", tmp_path)
    check = result.messages[-1]
    assert check.name == "user" and check.meta == {"kind": "answer_check", "correct": True,
                                                    "answer": "10", "expected": "10"}
    assert result.summary == "Checked by code: \\boxed{10} matches the expected answer 10."


def test_math_with_you_in_the_loop_asks_for_a_hint_when_the_answer_is_wrong(tmp_path):
    spec = load_bundled_template("math_with_human")
    human = ScriptedHuman(["", "Each ordered roll of three dice is equally likely.", "", ""],
                          then="")
    team = build_team(spec, work_dir=tmp_path)
    result = team.run(control=RunControl(human=human))
    checks = [m for m in result.messages if m.meta.get("kind") == "answer_check"]
    assert [c.meta["correct"] for c in checks] == [False, True]
    assert "answered \\frac{3}{28}, which is not the expected answer" in human.requests[1].prompt
    assert checks[0].content.endswith(
        "A hint from the person: Each ordered roll of three dice is equally likely.")
    assert "\\boxed{\\frac{1}{8}}" in result.summary


GROUNDING_TASKS = load_bundled_template("decision_grounding").sample_tasks
MATH_TASKS = load_bundled_template("math_problem_solving").sample_tasks
CHESS_TASKS = load_bundled_template("chess_game").sample_tasks


@pytest.mark.parametrize("task", GROUNDING_TASKS)
def test_every_text_world_sample_task_completes(task, tmp_path):
    _, result, _ = run("decision_grounding", tmp_path, task)
    observations = tool_results(result)
    assert observations[-1].endswith("Task complete!")
    assert sum(o.endswith("Task complete!") for o in observations) == 1
    assert any(o.startswith("1. Your last action") for o in observations)  # grounded once


@pytest.mark.parametrize("task", MATH_TASKS)
def test_every_math_sample_answer_is_checked_right(task, tmp_path):
    _, result, seen = run("math_problem_solving", tmp_path, task)
    assert result.messages[-1].meta.get("correct") is True
    assert any(isinstance(e, events.CodeExecuted) and e.exit_code == 0 for e in seen)


@pytest.mark.parametrize("task", CHESS_TASKS)
def test_every_chess_sample_game_ends_in_mate(task, tmp_path):
    _, result, _ = run("chess_game", tmp_path, task)
    assert "Checkmate: White wins. The game is over." in tool_results(result)[-1]


def test_the_chess_demo_shows_castling_and_en_passant(tmp_path):
    _, result, _ = run("chess_game", tmp_path, CHESS_TASKS[2])
    verdicts = [r.splitlines()[0] for r in tool_results(result)]
    assert "Legal: White plays exd6 (e5d6), taking en passant. Black to move." in verdicts
    assert "Legal: Black plays O-O (e8g8), castling kingside. White to move." in verdicts
    assert "Legal: White plays O-O (e1g1), castling kingside. Black to move." in verdicts

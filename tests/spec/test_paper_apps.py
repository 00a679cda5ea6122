"""The AutoGen paper's applications as bundled templates, run on the Demo model: each does
what the paper shows, with real tools deciding what happens (see tests/components for the
tools' own tests)."""

from __future__ import annotations

from pathlib import Path

from studio.engine import RunControl, StopReason, events
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

"""The gallery: at least twelve templates, each run end to end on the Demo model, and the
paper's applications and workshop favourites doing what they promise."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.engine import RunControl, StopReason, events
from studio.spec import bundled_template_names, load_bundled_template
from studio.spec.build import build_team

NAMES = bundled_template_names()
NEW = {"math_problem_solving", "retrieval_qa", "decision_grounding", "safeguarded_code",
       "roleplay_group", "chess_game", "debate_judge", "brainstorm", "teacher_student",
       "code_review", "math_with_human", "retrieval_code"}


def run(name: str, tmp_path: Path):
    spec = load_bundled_template(name)
    seen: list[events.Event] = []
    result = build_team(spec, work_dir=tmp_path).run(control=RunControl(on_event=seen.append))
    return spec, result, seen


def said(result) -> list[tuple[str | None, str]]:
    return [(m.name, m.content or "") for m in result.messages]


def tool_results(result) -> list[str]:
    return [m.content or "" for m in result.messages if m.role == "tool"]


def test_the_gallery_is_complete():
    assert len(NAMES) >= 12 and NEW <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_every_template_runs_end_to_end_on_the_demo_model(name, tmp_path):
    spec, result, seen = run(name, tmp_path)
    assert result.error is None
    assert result.stop_reason in (StopReason.TERMINATION, StopReason.MAX_TURNS)
    assert not [e for e in seen if isinstance(e, events.Error)]
    assert not any(r.startswith("Error:") for r in tool_results(result))
    assert all(e.exit_code == 0 for e in seen if isinstance(e, events.CodeExecuted))
    assert "TERMINATE" not in result.summary


def test_math_answer_comes_from_code_that_ran(tmp_path):
    _, result, seen = run("math_problem_solving", tmp_path)
    run_output = said(result)[2][1]
    assert run_output.startswith("exitcode: 0") and "sum of squares: 10.0" in run_output
    assert "\\boxed{10}" in result.summary


def test_safeguard_clears_the_code_before_the_commander_runs_it(tmp_path):
    _, result, seen = run("safeguarded_code", tmp_path)
    names = [name for name, _ in said(result)]
    check = names.index("check_code")
    executed = next(i for i, (_, text) in enumerate(said(result)) if text.startswith("exitcode:"))
    assert tool_results(result)[0].startswith("SAFE:") and check < executed
    assert names[executed] == "commander" and "extra cost: 300 euros/day" in said(result)[executed][1]


def test_workshop_favourites(tmp_path):
    _, debate, _ = run("debate_judge", tmp_path / "d")
    assert [n for n, _ in said(debate)] == ["moderator", "proponent", "opponent", "proponent",
                                            "opponent", "judge"]
    _, storm, _ = run("brainstorm", tmp_path / "b")
    assert [n for n, _ in said(storm)] == ["user", "facilitator", "dreamer", "realist",
                                           "facilitator"]
    _, lesson, _ = run("teacher_student", tmp_path / "t")
    assert [n for n, _ in said(lesson)] == ["student", "teacher", "student", "teacher"]
    _, review, _ = run("code_review", tmp_path / "r")
    assert tool_results(review)[0].startswith("4 problem(s):")
    assert "all 4 checks passed" in said(review)[4][1]
    _, group, _ = run("roleplay_group", tmp_path / "g")
    assert [n for n, _ in said(group)] == ["user", "product_manager", "designer", "engineer",
                                           "product_manager"]

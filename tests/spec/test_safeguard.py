"""The safeguarded-code template (the paper's A4): only code the safeguard cleared is executed.

The writer and the safeguard are scripted; the check tool, the gate and the executor are real.
The safeguard model here is careless on purpose (it says SAFE whatever its check found): the
template must hold anyway.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.engine import FunctionModel, ModelRequest, RunControl, StopReason, ToolCall, events
from studio.engine.code import extract_code_blocks
from studio.spec import default_registry, load_bundled_template, load_template, validate
from studio.spec.build import build_team

RISKY = "with open('orders.csv', 'w') as f:\n    f.write('leak')\nprint('written')"
FINE = "print('extra cost:', 860 - 560)"


def scripted_team(tmp_path: Path, writer_code: list[str]):
    state: dict = {"team": None, "writes": list(writer_code), "calls": 0}

    def log():
        return state["team"].manager.groupchat.messages

    def reply(request: ModelRequest):
        last = log()[-1]
        if request.purpose == "select_speaker":
            if last.role == "tool":
                return "safeguard"  # the check's result goes back for the verdict
            return "writer"
        if request.agent == "writer":
            if state["writes"]:
                return f"```python\n{state['writes'].pop(0)}\n```"
            return "Closing Berlin costs 300 euros more a day. TERMINATE"
        if request.agent == "safeguard":
            if last.role == "tool":
                return "SAFE - the commander may run it"  # careless: ignores what the check said
            code = extract_code_blocks(next(m.content for m in reversed(log())
                                            if m.name == "writer"))[0].code
            state["calls"] += 1
            return [ToolCall(id=f"check{state['calls']}", name="check_code",
                             arguments=json.dumps({"code": code}))]
        raise AssertionError(f"unexpected request from {request.agent}")

    team = build_team(load_bundled_template("safeguarded_code"), work_dir=tmp_path,
                      model_override=FunctionModel(reply))
    state["team"] = team
    return team


def test_code_the_safeguard_flags_never_runs_and_the_writer_learns_why(tmp_path):
    team = scripted_team(tmp_path, [RISKY, FINE])
    seen: list[events.Event] = []
    result = team.run("What if we closed Berlin?", RunControl(on_event=seen.append))
    assert not (tmp_path / "orders.csv").exists(), "flagged code must never run"
    ran = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(ran) == 1 and "extra cost: 300" in ran[0].output, "cleared code runs"
    messages = team.manager.groupchat.messages
    refusal = next(m for m in messages if m.meta.get("kind") == "code_not_run")
    assert refusal.name == "commander"
    assert "DANGER: line 1: calls open()" in refusal.content and "writer" in refusal.content
    writer = team.agents["writer"]
    assert any(m.content == refusal.content for m in writer.history(team.manager)), \
        "the writer is told why"
    assert result.stop_reason == StopReason.TERMINATION


def test_the_demo_run_still_clears_and_runs_its_code(tmp_path):
    team = build_team(load_bundled_template("safeguarded_code"), work_dir=tmp_path)
    seen: list[events.Event] = []
    team.run(control=RunControl(on_event=seen.append))
    ran = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(ran) == 1 and ran[0].exit_code == 0 and "extra cost: 300" in ran[0].output


@pytest.mark.parametrize(("clearance", "problem"), [
    ({"agent": "nobody"}, "unknown agent 'nobody'"),
    ({"agent": "commander"}, "cannot clear its own code"),
    ({"agent": "writer"}, "has no tool 'check_code'"),
])
def test_a_clearance_names_a_reviewer_with_the_check(clearance, problem):
    document = load_bundled_template("safeguarded_code").to_dict()
    document["agents"][0]["code_execution"]["cleared_by"] = clearance
    registry = default_registry()
    problems = validate(document, registry=registry)
    assert any(problem in p.message and "code_execution.cleared_by" in p.path for p in problems), \
        problems
    document["agents"][0]["code_execution"]["cleared_by"] = {"agent": "safeguard"}
    assert [p for p in validate(document, registry=registry) if p.severity == "error"] == []
    assert load_template(document).agents[0].code_execution.cleared_by.agent == "safeguard"

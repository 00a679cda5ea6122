"""Code execution through agents: cases 16, 17 and 23 end to end, approval before running."""

from __future__ import annotations

from studio.engine import (
    ConversableAgent,
    HumanInput,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    events,
)
from studio.engine.code import LocalExecutor


def executor_agent(tmp_path, **kw) -> ConversableAgent:
    kw.setdefault("human_input", HumanInput.NEVER)
    return ConversableAgent("runner", code_executor=LocalExecutor(work_dir=tmp_path, timeout=20), **kw)


def test_case_16_code_from_the_model_runs_and_the_result_goes_back(tmp_path):
    seen: list[events.Event] = []
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER,
                             model=ScriptedModel(["```python\nprint(1+1)\n```", "It is 2. TERMINATE"]))
    result = executor_agent(tmp_path).initiate_chat(coder, "add", control=RunControl(on_event=seen.append))
    reply = result.history[2]
    assert reply.content.startswith("exitcode: 0 (execution succeeded)\nCode output:")
    assert "2" in reply.content and reply.meta["kind"] == "code_result"
    executed = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(executed) == 1 and executed[0].exit_code == 0 and executed[0].sandbox
    assert result.stop_reason == StopReason.TERMINATION


def test_case_17_and_23_failure_then_no_rerun_of_old_code(tmp_path):
    seen: list[events.Event] = []
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nraise ValueError('bad')\n```\n```python\nprint('later')\n```",
        "Sorry, no code this time.",
        "done TERMINATE",
    ]))
    runner = executor_agent(tmp_path, default_auto_reply="(nothing to run)")
    result = runner.initiate_chat(coder, "go", control=RunControl(on_event=seen.append))
    failed = result.history[2].content
    assert failed.startswith("exitcode: 1 (execution failed)") and "ValueError" in failed
    assert "later" not in failed
    assert result.history[4].content == "(nothing to run)"  # the old block was not run again
    assert len([e for e in seen if isinstance(e, events.CodeExecuted)]) == 1


def test_approval_before_running_code(tmp_path):
    code = "```python\nprint('approved run')\n```"
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER,
                             model=ScriptedModel([code, code, code, "TERMINATE"]))
    human = ScriptedHuman(["", "no: it deletes files", "edit:\nprint('edited run')"])
    runner = executor_agent(tmp_path, approve_code=True)
    result = runner.initiate_chat(coder, "go", control=RunControl(human=human))
    replies = [m.content for m in result.history if m.name == "runner"][1:]  # after the task
    assert "approved run" in replies[0]
    assert replies[1] == "The user refused to run the code. Reason: no: it deletes files"
    assert "edited run" in replies[2]
    assert [r.kind for r in human.requests] == ["code_approval"] * 3


def test_code_the_human_answered_instead_is_not_run_later(tmp_path):
    seen: list[events.Event] = []
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nopen('ran.txt', 'w').write('x')\n```", "Fine, no code then.", "TERMINATE"]))
    human = ScriptedHuman(["Do NOT run that", ""], then="exit")
    runner = executor_agent(tmp_path, human_input=HumanInput.ALWAYS, default_auto_reply="ok")
    runner.initiate_chat(coder, "go", control=RunControl(human=human, on_event=seen.append))
    assert not any(isinstance(e, events.CodeExecuted) for e in seen)
    assert not (tmp_path / "ran.txt").exists()

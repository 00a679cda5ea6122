"""Code execution through agents: cases 16, 17 and 23 end to end; approval before running is a
structured decision (approve / refuse with a reason / edited code), never guessed from text."""

from __future__ import annotations

import json
import threading

import pytest

from studio.engine import (
    CodeBlock,
    CodeDecision,
    ConsoleHuman,
    ConversableAgent,
    HumanInput,
    HumanInputRequest,
    Mailbox,
    NoHuman,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    ToolCall,
    events,
)
from studio.engine._control import CancelToken
from studio.engine._human import read_code_decision
from studio.engine.code import LocalExecutor
from tests.support.processes import wait_for


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
    human = ScriptedHuman([CodeDecision.approve(), CodeDecision.refuse("no: it deletes files"),
                           CodeDecision.edit("print('edited run')")])
    seen: list[events.Event] = []
    runner = executor_agent(tmp_path, approve_code=True)
    result = runner.initiate_chat(coder, "go", control=RunControl(human=human, on_event=seen.append))
    replies = [m.content for m in result.history if m.name == "runner"][1:]  # after the task
    assert "approved run" in replies[0]
    assert replies[1] == "The user refused to run the code. Reason: no: it deletes files"
    assert "edited run" in replies[2] and "approved run" not in replies[2]
    assert [r.kind for r in human.requests] == ["code_approval"] * 3
    assert human.requests[0].blocks == (CodeBlock("print('approved run')", "python"),)
    received = [e for e in seen if isinstance(e, events.HumanInputReceived)]
    assert [e.decision["action"] for e in received] == ["approve", "refuse", "edit"]
    assert received[1].decision["reason"] == "no: it deletes files"
    requested = [e for e in seen if isinstance(e, events.HumanInputRequested)]
    wire = json.loads(json.dumps(requested[0].to_dict()))
    assert wire["blocks"] == [{"code": "print('approved run')", "language": "python"}]


@pytest.mark.parametrize("reason", ["ok", "run", "yes", "", "approve"])
def test_a_refusal_never_approves_whatever_its_reason(tmp_path, reason):
    seen: list[events.Event] = []
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nopen('ran.txt', 'w').write('x')\n```", "TERMINATE"]))
    human = ScriptedHuman([CodeDecision.refuse(reason)])
    runner = executor_agent(tmp_path, approve_code=True)
    result = runner.initiate_chat(coder, "go", control=RunControl(human=human, on_event=seen.append))
    assert not any(isinstance(e, events.CodeExecuted) for e in seen)
    assert not (tmp_path / "ran.txt").exists()
    assert result.history[2].content.startswith("The user refused to run the code.")


def test_text_is_not_an_answer_to_a_code_approval(tmp_path):
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nopen('ran.txt', 'w').write('x')\n```", "TERMINATE"]))
    runner = executor_agent(tmp_path, approve_code=True)
    result = runner.initiate_chat(coder, "go", control=RunControl(human=ScriptedHuman(["yes"])))
    assert result.stop_reason == StopReason.ERROR and "CodeDecision" in result.error
    assert not (tmp_path / "ran.txt").exists()

    mailbox = Mailbox()
    control = RunControl(human=mailbox)
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nprint('fine')\n```", "TERMINATE"]))
    thread = threading.Thread(target=lambda: runner.initiate_chat(coder, "go", control=control))
    thread.start()
    assert wait_for(lambda: mailbox.pending is not None, 20)
    with pytest.raises(ValueError, match="CodeDecision"):
        mailbox.put("ok")
    assert mailbox.pending is not None  # still waiting for a real decision
    assert mailbox.put(CodeDecision.refuse("not today"))
    thread.join(20)
    said = [m.content for m in runner.history(coder)]
    assert "The user refused to run the code. Reason: not today" in said


def test_an_unattended_run_refuses_code_that_needs_approval(tmp_path):
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nopen('ran.txt', 'w').write('x')\n```", "TERMINATE"]))
    runner = executor_agent(tmp_path, approve_code=True)
    result = runner.initiate_chat(coder, "go", control=RunControl(human=NoHuman()))
    assert not (tmp_path / "ran.txt").exists()
    assert "nobody was there to approve it" in result.history[2].content


def test_code_decisions_cross_processes_as_json():
    for decision in (CodeDecision.approve(), CodeDecision.refuse("ok"),
                     CodeDecision.edit("```python\nprint(1)\n```")):
        wire = json.dumps(decision.to_dict())
        assert CodeDecision.from_dict(json.loads(wire)) == decision
    for bad in ({"action": "ok"}, {"reason": "x"}, {"action": "edit", "code": " "}, "approve"):
        with pytest.raises(ValueError):
            CodeDecision.from_dict(bad)  # type: ignore[arg-type]


def test_console_code_approval_is_a_choice_then_a_reason_or_code():
    request = HumanInputRequest(agent="runner", prompt="run?", kind="code_approval")

    def lines(*answers):
        queue = list(answers)

        def read(prompt):
            if not queue:
                raise EOFError
            return queue.pop(0)
        return read

    assert read_code_decision(request, lines("y")) == CodeDecision.approve()
    assert read_code_decision(request, lines("n", "ok")) == CodeDecision.refuse("ok")
    assert read_code_decision(request, lines("ok", "run it", "n", "run")) == CodeDecision.refuse("run")
    edited = read_code_decision(request, lines("e", "print(1)", "print(2)", "."))
    assert edited == CodeDecision.edit("print(1)\nprint(2)")
    assert read_code_decision(request, lines()).action == "refuse"  # end of input
    assert read_code_decision(request, lines("maybe", "sure", "why not")).action == "refuse"
    human = ConsoleHuman(lines("n", "too risky"))
    assert human.ask(request, CancelToken()) == CodeDecision.refuse("too risky")


def test_code_the_human_answered_instead_is_not_run_later(tmp_path):
    seen: list[events.Event] = []
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=ScriptedModel([
        "```python\nopen('ran.txt', 'w').write('x')\n```", "Fine, no code then.", "TERMINATE"]))
    human = ScriptedHuman(["Do NOT run that", ""], then="exit")
    runner = executor_agent(tmp_path, human_input=HumanInput.ALWAYS, default_auto_reply="ok")
    runner.initiate_chat(coder, "go", control=RunControl(human=human, on_event=seen.append))
    assert not any(isinstance(e, events.CodeExecuted) for e in seen)
    assert not (tmp_path / "ran.txt").exists()


# -- the safeguard (the paper's A4): only code the reviewer has cleared is executed ----------
def check_code(code: str) -> str:
    """Flag calls of open().

    Args:
        code: The Python source to check.
    """
    return "DANGER: calls open()" if "open(" in code else "SAFE: nothing risky"


def safeguarded_group(tmp_path, writer_replies, safeguard_replies):
    from studio.engine import ClearedBy, GroupChat, GroupChatManager

    commander = ConversableAgent(
        "commander", human_input=HumanInput.NEVER, tools_for_execution=[check_code],
        code_executor=LocalExecutor(work_dir=tmp_path, timeout=20),
        code_gate=ClearedBy("safeguard", tool="check_code"))
    writer = ConversableAgent("writer", human_input=HumanInput.NEVER,
                              model=ScriptedModel(writer_replies))
    safeguard = ConversableAgent("safeguard", human_input=HumanInput.NEVER, tools=[check_code],
                                 model=ScriptedModel(safeguard_replies))
    order = {"commander": writer, "writer": safeguard}

    def next_speaker(last, chat):
        if last is safeguard:
            return commander
        if last is commander and chat.messages[-1].role == "tool":
            return safeguard  # the check's result goes back to the safeguard for its verdict
        return order.get(last.name, writer)

    chat = GroupChat([commander, writer, safeguard], max_round=20,
                     speaker_selection=next_speaker)
    return commander, GroupChatManager(chat), chat


def test_code_the_safeguard_flags_is_never_run_and_the_writer_is_told_why(tmp_path):
    risky = "open('leak.txt', 'w').write('secret')\nprint('wrote it')"
    fine = "print(sum(range(10)))"
    writer_replies = [f"```python\n{risky}\n```", f"```python\n{fine}\n```", "It is 45. TERMINATE"]
    # a careless safeguard model: it declares SAFE whatever its check found
    safeguard_replies = [[ToolCall(id="c1", name="check_code", arguments=json.dumps({"code": risky}))],
                         "SAFE - looks fine to me",
                         [ToolCall(id="c2", name="check_code", arguments=json.dumps({"code": fine}))],
                         "SAFE - no risky calls"]
    seen: list[events.Event] = []
    commander, manager, chat = safeguarded_group(tmp_path, writer_replies, safeguard_replies)
    result = commander.initiate_chat(manager, "sum 0..9", control=RunControl(on_event=seen.append))
    assert not (tmp_path / "leak.txt").exists()
    ran = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(ran) == 1 and "45" in ran[0].output, "only the cleared code ran"
    told = [m for m in chat.messages if m.meta.get("kind") == "code_not_run"]
    assert len(told) == 1 and told[0].name == "commander"
    assert "DANGER: calls open()" in told[0].content and "writer" in told[0].content
    writer = next(a for a in chat.agents if a.name == "writer")
    assert any("DANGER: calls open()" in (m.content or "") for m in writer.history(manager))
    assert result.stop_reason == StopReason.TERMINATION


def test_a_safeguard_that_says_danger_or_checks_other_code_clears_nothing(tmp_path):
    fine = "print('hello')"
    cases = {
        "danger verdict": [[ToolCall(id="c1", name="check_code", arguments=json.dumps({"code": fine}))],
                           "DANGER - I do not trust it"],
        "other code checked": [[ToolCall(id="c1", name="check_code",
                                         arguments=json.dumps({"code": "print('other')"}))],
                               "SAFE"],
    }
    for name, safeguard_replies in cases.items():
        seen: list[events.Event] = []
        folder = tmp_path / name.replace(" ", "_")
        folder.mkdir()
        commander, manager, chat = safeguarded_group(
            folder, [f"```python\n{fine}\n```", "TERMINATE"], safeguard_replies)
        commander.initiate_chat(manager, "greet", control=RunControl(on_event=seen.append))
        assert not any(isinstance(e, events.CodeExecuted) for e in seen), name
        assert any(m.meta.get("kind") == "code_not_run" for m in chat.messages), name


def test_cleared_by_compares_the_exact_code():
    from studio.engine import ClearedBy, Message

    gate = ClearedBy("safeguard")
    code = "x = 1\nprint(x)"
    call = ToolCall(id="c1", name="check_code", arguments=json.dumps({"code": f"```python\n{code}  \n```"}))
    log = [Message(role="assistant", content=None, name="safeguard", tool_calls=(call,)),
           Message(role="tool", content="SAFE: ok", tool_call_id="c1", name="check_code"),
           Message(role="user", content="**SAFE**: no risk", name="safeguard")]
    assert gate([CodeBlock(code, "python")], log).cleared
    changed = gate([CodeBlock(code + "\nopen('x')", "python")], log)
    assert not changed.cleared and not changed.final and "not checked" in changed.reason
    assert not gate([CodeBlock(code, "python")], log[:2]).final  # verdict still to come
    impostor = [Message(role="assistant", content=None, name="writer", tool_calls=(call,)), *log[1:]]
    assert not gate([CodeBlock(code, "python")], impostor).cleared

"""Templates built into engine objects and run end to end on the Demo model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from studio.engine import (
    FunctionModel,
    ModelRequest,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    ToolCall,
    events,
)
from studio.engine.models import DemoModel
from studio.spec import load_bundled_template, load_template
from studio.spec.build import BuildError, build_team, default_model_resolver


def run(name: str, tmp_path: Path, human: list[str] | None = None, **kwargs: Any):
    spec = load_bundled_template(name)
    team = build_team(spec, work_dir=tmp_path, **kwargs)
    seen: list[events.Event] = []
    scripted = ScriptedHuman(human or [])
    result = team.run(control=RunControl(on_event=seen.append, human=scripted))
    assert isinstance(seen[0], events.RunStarted) and seen[0].task == spec.sample_tasks[0]
    assert isinstance(seen[-1], events.RunFinished)
    assert seen[-1].reason == str(result.stop_reason)
    return team, result, seen, scripted


def texts(result) -> list[str]:
    return [m.content or "" for m in result.messages]


def test_code_assistant_runs_the_code(tmp_path):
    team, result, seen, human = run("code_assistant", tmp_path)
    assert result.stop_reason == StopReason.HUMAN_EXIT  # asked at TERMINATE; script ran out
    assert len(human.requests) == 1 and human.requests[0].agent == "user"
    output = next(t for t in texts(result) if t.startswith("exitcode: 0"))
    assert "count: 25" in output and "sum: 1060" in output
    assert any(isinstance(e, events.CodeExecuted) and e.exit_code == 0 for e in seen)
    assert "1060" in result.summary and "TERMINATE" not in result.summary


def test_code_assistant_ends_on_termination_when_the_human_says_nothing(tmp_path):
    spec = load_bundled_template("code_assistant")
    result = build_team(spec, work_dir=tmp_path).run(control=RunControl())
    assert result.stop_reason == StopReason.TERMINATION
    assert len(result.messages) == 4


def test_planning_group_follows_the_graph(tmp_path):
    team, result, seen, _ = run("planning_group", tmp_path)
    assert result.stop_reason == StopReason.TERMINATION
    speakers = [m.name for m in result.messages]
    assert speakers == ["user", "planner", "coder", "user", "critic"]
    assert "all 4 checks passed" in texts(result)[3]
    chat = team.manager.groupchat
    assert [a.name for a in chat.eligible(team.agents["planner"], None)] == ["coder"]
    assert {a.name for a in chat.eligible(team.agents["user"], None)} == {"planner", "coder",
                                                                          "critic"}
    selected = [e.speaker for e in seen if isinstance(e, events.SpeakerSelected)]
    assert selected == ["planner", "coder", "user", "critic"]


def test_research_chain_carries_context_and_uses_the_tool(tmp_path):
    team, result, seen, _ = run("research_write_review", tmp_path)
    assert [c.stop_reason for c in result.chats] == [
        StopReason.TERMINATION, StopReason.MAX_TURNS, StopReason.TERMINATION]
    assert result.stop_reason == StopReason.TERMINATION
    tool_results = [e for e in seen if isinstance(e, events.ToolResult)]
    assert tool_results and "Heat pumps" in tool_results[0].content and not tool_results[0].is_error
    second_first = result.chats[1].history[0].content or ""
    assert second_first.startswith("Please write the article") and "Context:" in second_first
    assert "Not found in the notes: installation costs" in second_first  # chat 1's summary
    assert result.summary.startswith("# The Fridge That Heats Your Home")
    assert "get a quote" in result.summary and "TERMINATE" not in result.summary


def test_writer_consults_the_nested_critic(tmp_path):
    team, result, seen, _ = run("writer_with_critic", tmp_path)
    assert result.stop_reason == StopReason.MAX_TURNS
    assert [m.name for m in result.messages] == ["user", "writer"]
    assert "he writes \"All well\"" in result.summary
    nested = [e for e in seen if isinstance(e, events.MessageSent) and e.depth > 0]
    assert [e.sender for e in nested] == ["writer", "critic", "writer", "critic", "writer"]
    assert "Request: Write a four-line poem" in nested[0].message.content


def test_human_in_the_loop_asks_every_turn(tmp_path):
    team, result, seen, human = run(
        "human_in_the_loop", tmp_path, human=["Mention that Wednesday's demo still happens.", ""])
    assert result.stop_reason == StopReason.HUMAN_EXIT
    assert [r.agent for r in human.requests] == ["you", "you", "you"]
    said = texts(result)
    assert said[2] == "Mention that Wednesday's demo still happens."
    assert said[4] == "Looks good. Please make it final."  # empty input -> automatic reply
    assert said[5].startswith("Final version:")
    assert result.chats[0].human_inputs[:2] == ["Mention that Wednesday's demo still happens.", ""]


def test_tool_helper_runs_real_tools(tmp_path):
    team, result, seen, _ = run("tool_helper", tmp_path)
    assert result.stop_reason == StopReason.TERMINATION
    tool_messages = [m.content for m in result.messages if m.role == "tool"]
    assert tool_messages == ["350 F = 176.667 C", "288"]


def test_human_input_override_makes_a_run_unattended(tmp_path):
    spec = load_bundled_template("human_in_the_loop")
    human = ScriptedHuman([])
    team = build_team(spec, work_dir=tmp_path, human_input_override="never")
    result = team.run(control=RunControl(human=human))
    assert human.requests == []
    assert result.stop_reason == StopReason.TERMINATION
    with pytest.raises(BuildError, match="human_input_override"):
        build_team(spec, work_dir=tmp_path, human_input_override="maybe")


def test_model_override_replaces_every_model(tmp_path):
    spec = load_bundled_template("planning_group")
    model = ScriptedModel(["critic", "Looks fine. TERMINATE"])
    team = build_team(spec, work_dir=tmp_path, model_override=model)
    assert all(a.model is model for n, a in team.agents.items() if n != "user")
    result = team.run("Say hi", RunControl())
    assert [m.name for m in result.messages] == ["user", "critic"]
    assert [r.purpose for r in model.requests] == ["select_speaker", "reply"]
    assert result.stop_reason == StopReason.TERMINATION


def test_default_resolver_shares_one_demo_model_per_run(tmp_path):
    spec = load_bundled_template("planning_group")
    team = build_team(spec, work_dir=tmp_path)
    demo = team.agents["planner"].model
    assert isinstance(demo, DemoModel) and demo.label == "Demo model (offline)"
    assert team.agents["coder"].model is demo and team.manager.model is demo
    assert team.agents["user"].model is None


def test_custom_resolver_gets_names_after_aliases(tmp_path, doc):
    asked: list[str] = []

    def resolve(name: str):
        asked.append(name)
        return ScriptedModel([ToolCall(id="c1", name="calculator", arguments='{"expression": "6*7"}'),
                              "It is 42. TERMINATE"])

    doc["agents"][0]["execute_tools"] = ["calculator"]
    team = build_team(load_template(doc), work_dir=tmp_path, resolve_model=resolve)
    result = team.run("What is 6*7?")
    assert asked == ["demo"]  # the alias "main" was followed
    assert [m.content for m in result.messages if m.role == "tool"] == ["42"]
    assert result.summary == "It is 42."


def test_inline_tool_and_termination_limits(tmp_path, doc):
    doc["tools"] = [{"name": "shout", "source": (
        'def shout(text: str) -> str:\n    """Shout.\n\n    Args:\n        text: What to shout.\n'
        '    """\n    return text.upper()\n')}]
    doc["agents"][1]["tools"] = ["shout"]
    doc["agents"][0]["execute_tools"] = ["shout"]
    doc["agents"][0]["termination"] = {"kind": "contains", "value": "DONE", "max_turns": 2}
    doc["pattern"]["max_turns"] = 10

    def reply(request: ModelRequest):
        if request.messages[-1].role == "tool":
            return f"The tool said {request.messages[-1].content}"
        return ToolCall(id=f"c{len(request.messages)}", name="shout", arguments='{"text": "hey"}')

    team = build_team(load_template(doc), work_dir=tmp_path, model_override=FunctionModel(reply))
    result = team.run("shout hey")
    # the user replies twice (a tool result, then its empty auto-reply); the third time
    # its max_turns limit stops the chat
    said = [m.content for m in result.messages]
    assert said[2:] == ["HEY", "The tool said HEY", "", None]
    assert result.messages[-1].tool_calls[0].name == "shout"
    assert result.stop_reason == StopReason.MAX_TURNS


def test_termination_kind_is_used(tmp_path, doc):
    doc["agents"][0]["termination"] = {"kind": "exact", "value": "DONE"}
    model = ScriptedModel(["All done. TERMINATE", "DONE"])
    result = build_team(load_template(doc), work_dir=tmp_path, model_override=model).run("go")
    assert [m.content for m in result.messages][-1] == "DONE"
    assert result.stop_reason == StopReason.TERMINATION


def test_missing_api_key_is_a_build_error_with_a_path(tmp_path, doc, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    doc["models"]["main"] = {"preset": "openai"}
    with pytest.raises(BuildError) as info:
        build_team(load_template(doc), work_dir=tmp_path)
    assert info.value.path == "agents[1].model" and info.value.agent == "assistant"
    assert "set the OPENAI_API_KEY environment variable" in str(info.value)


def test_resolver_builds_openai_compatible_clients(monkeypatch, registry):
    monkeypatch.setenv("MY_KEY", "sk-test")
    resolve = default_model_resolver(registry, configs={
        "lab": {"provider": "openai_compatible", "base_url": "http://127.0.0.1:9/v1",
                "model": "m", "api_key_env": "MY_KEY"},
        "box": "ollama"}, secrets={"s": "sk-secret"})
    lab = resolve("lab")
    assert lab is resolve("lab")
    assert type(lab).__name__ == "OpenAIChatModel" and lab.model == "m"
    assert resolve("box").url == "http://localhost:11434/v1"
    with pytest.raises(BuildError, match="unknown model 'zzz'"):
        resolve("zzz")

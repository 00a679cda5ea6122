"""AutoGen Studio files (0.4 components and galleries, 0.2 workflows) become templates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from studio.engine import RunControl, ScriptedHuman, StopReason
from studio.engine.models import DemoModel
from studio.spec import SpecError, dump_json, dump_yaml
from studio.spec._autogen_import import documented_source
from studio.spec._files import export_file, import_file
from studio.spec.build import build_team

FIXTURES = Path(__file__).parent / "fixtures"
SECRETS = ("sk-test-SECRET123", "azure-SECRET-456", "sk-old-SECRET789", "sk-group-SECRET000")


def load(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def imported(name: str, data: dict[str, Any] | None = None):
    text = json.dumps(data) if data is not None else (FIXTURES / name).read_bytes()
    return import_file(text, name)


def run(spec, tmp_path: Path, script: list[dict[str, Any]], human: list[str] | None = None):
    team = build_team(spec, work_dir=tmp_path, model_override=DemoModel(script=script))
    return team.run("What is 6 times 7?", control=RunControl(human=ScriptedHuman(human or [])))


def assert_no_secret(spec) -> None:
    for text in (dump_yaml(spec), dump_json(spec)):
        assert not any(secret in text for secret in SECRETS)
        assert "api_key:" not in text and '"api_key"' not in text


def test_04_single_agent_team_becomes_a_two_agent_chat(tmp_path):
    found = imported("autogen04_team.json")
    assert found.source_format == "autogen-0.4"
    report = found.reports[0]
    spec = report.spec
    assert spec.name == "Default Team" and "calculator tool" in spec.description
    assert spec.pattern.kind == "two_agent" and spec.pattern.max_turns == 5  # 10 messages
    user, agent = spec.agent("user"), spec.agent("assistant_agent")
    assert user.kind == "user_proxy" and user.execute_tools == ["calculator"]
    assert user.termination is not None and user.termination.kind == "contains"
    assert agent.system_message.startswith("You are a helpful assistant.")
    assert agent.model == "main" and agent.model_settings.temperature == 0.2
    model = spec.models["main"]
    assert model.provider == "openai" and model.model == "gpt-4o-mini"
    assert model.api_key_env == "OPENAI_API_KEY"
    assert_no_secret(spec)
    assert any("API key in the file was NOT imported" in w and "OPENAI_API_KEY" in w
               for w in report.warnings)
    assert "agent 'assistant_agent': tool 'calculator' (inline Python function)" in report.mapped
    assert report.not_mapped == []
    # the tool got the docstring the studio needs, and really runs
    result = run(spec, tmp_path, [
        {"agent": "assistant_agent", "tool_calls": [
            {"name": "calculator", "arguments": {"a": 6, "b": 7, "operator": "*"}}]},
        {"agent": "assistant_agent", "content": "6 times 7 is 42. TERMINATE"}])
    assert [m.content for m in result.messages if m.role == "tool"] == ["42.0"]
    assert result.stop_reason == StopReason.TERMINATION


def test_04_selector_team_maps_what_it_can(tmp_path):
    report = imported("autogen04_selector.json").reports[0]
    spec = report.spec
    assert spec.pattern.kind == "group" and spec.pattern.starter == "traveller"
    group = spec.pattern.group
    assert group.speaker_selection == "auto" and group.max_round == 15
    assert not group.allow_repeat_speaker
    assert spec.models[group.selector_model].model == "gpt-4o-mini"
    guide = spec.agent("local_guide")
    azure = spec.models[guide.model]
    assert azure.provider == "azure" and azure.model == "gpt4o-prod"
    assert azure.base_url == "https://contoso.openai.azure.com/" and azure.api_version == "2024-06-01"
    assert azure.api_key_env == "AZURE_OPENAI_API_KEY"
    assert spec.agent("traveller").human_input == "always"
    edges = {(e.source, e.target) for e in spec.pattern.edges}
    assert ("planner", "local_guide") in edges and ("local_guide", "traveller") in edges
    assert "agent 'planner': memory is not supported" in report.not_mapped
    assert "termination: 'and' (mapped as 'or')" in report.not_mapped
    assert any("selector_prompt" in n for n in report.not_mapped)
    assert_no_secret(spec)
    result = run(spec, tmp_path, [], human=["Three days in Lisbon, please.", "exit"])
    assert result.messages[0].name == "traveller" and len(result.messages) >= 3


def test_04_gallery_imports_every_team_and_leaves_out_unknown_agents():
    found = imported("autogen04_gallery.json")
    assert [s.name for s in found.specs] == ["Default Team", "Web Agent Team (Operator)"]
    web = found.reports[1]
    assert web.spec.agent_names == ["verifier", "traveller"]
    assert any("websurfer_agent" in n and "not supported" in n for n in web.not_mapped)
    assert any(w.startswith("autogen04_gallery.json: items.teams[1].config.participants[0]")
               for w in web.warnings)


def test_02_workflow_skills_become_tools(tmp_path):
    found = imported("autogen02_workflow.json")
    assert found.source_format == "autogen-0.2"
    report = found.reports[0]
    spec = report.spec
    assert spec.name == "Weather Agent Workflow"
    assert spec.pattern.kind == "two_agent" and spec.pattern.starter == "userproxy"
    proxy, assistant = spec.agent("userproxy"), spec.agent("primary_assistant")
    assert proxy.code_execution.executor == "local" and proxy.human_input == "never"
    assert proxy.max_consecutive_auto_reply == 5 and proxy.execute_tools == ["fetch_weather"]
    assert assistant.tools == ["fetch_weather"] and assistant.model_settings.temperature == 0.1
    assert spec.models["main"].model == "gpt-4-1106-preview"
    tool = spec.tools[0]
    assert '"""Look up the weather for a city.' in tool.source and "day: The day." in tool.source
    assert "cache_seed" in " ".join(report.not_mapped)
    assert_no_secret(spec)
    result = run(spec, tmp_path, [
        {"agent": "primary_assistant", "tool_calls": [
            {"name": "fetch_weather", "arguments": {"city": "Paris"}}]},
        {"agent": "primary_assistant", "content": "Sunny in Paris. TERMINATE"}])
    assert [m.content for m in result.messages if m.role == "tool"] == [
        "Paris: sunny, 21 C (day 0)"]


def test_02_group_chat(tmp_path):
    report = imported("autogen02_groupchat.json").reports[0]
    spec = report.spec
    assert spec.agent_names == ["userproxy", "travel_planner", "local_assistant",
                                "language_assistant"]
    pattern = spec.pattern
    assert pattern.kind == "group" and pattern.summary_method == "reflection"
    assert pattern.group.max_round == 10 and pattern.group.manager_name == "group_chat_manager"
    assert pattern.group.speaker_selection == "auto" and pattern.group.selector_model == "main"
    assert len(pattern.edges) == 12  # everyone may follow everyone else
    assert any("group chat manager: the API key" in w for w in report.warnings)
    assert_no_secret(spec)
    result = run(spec, tmp_path, [])
    assert result.messages[0].name == "userproxy" and len(result.messages) > 2


def test_an_imported_team_exports_and_reimports_unchanged():
    spec = imported("autogen04_selector.json").spec
    for fmt in ("yaml", "json"):
        assert import_file(export_file(spec, fmt), f"x.{fmt}").spec == spec


def test_unknown_model_provider_is_an_error_with_its_place():
    data = load("autogen04_selector.json")
    data["config"]["participants"][1]["config"]["model_client"]["provider"] = "x.FooClient"
    with pytest.raises(SpecError) as exc:
        imported("team.json", data)
    assert str(exc.value.problems[0]).startswith(
        "team.json: config.participants[1].config.model_client: unknown provider 'x.FooClient'")


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(provider="autogen_agentchat.teams.Swarm"),
     "team.json: provider: unsupported team provider"),
    (lambda d: d.update(component_type="agent"), "team.json: component_type: expected a team"),
    (lambda d: d["config"].update(participants=[]),
     "team.json: config.participants: a team needs at least one participant"),
    (lambda d: d["config"]["participants"][1]["config"].pop("model_client"),
     "team.json: config.participants[1].config.model_client: an AssistantAgent needs"),
    (lambda d: d["config"]["termination_condition"]["config"]["conditions"][1]["config"].update(
        max_messages=0), "config.termination_condition.config.conditions[1].config.max_messages"),
])
def test_bad_04_files(edit, message):
    data = load("autogen04_selector.json")
    edit(data)
    with pytest.raises(SpecError) as exc:
        imported("team.json", data)
    assert any(message in str(p) for p in exc.value.problems), exc.value.problems


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["receiver"]["config"].update(llm_config=False),
     "flow.json: receiver.config.llm_config: an assistant needs an llm_config"),
    (lambda d: d["sender"]["config"].update(human_input_mode="SOMETIMES"),
     "flow.json: sender.config.human_input_mode: unknown mode 'SOMETIMES'"),
    (lambda d: d["receiver"]["config"]["llm_config"]["config_list"][0].update(api_type="bard"),
     "flow.json: receiver.config.llm_config.config_list[0].api_type: unknown provider 'bard'"),
    (lambda d: d.pop("receiver"), "flow.json: receiver: the workflow needs a receiver"),
])
def test_bad_02_files(edit, message):
    data = load("autogen02_workflow.json")
    edit(data)
    with pytest.raises(SpecError) as exc:
        imported("flow.json", data)
    assert any(str(p).startswith(message) for p in exc.value.problems), exc.value.problems


def test_a_gallery_with_one_bad_team_imports_nothing():
    data = load("autogen04_gallery.json")
    data["items"]["teams"][1]["config"]["model_client"]["provider"] = "nope.Client"
    with pytest.raises(SpecError) as exc:
        imported("gallery.json", data)
    assert [str(p) for p in exc.value.problems] == [
        "gallery.json: items.teams[1].config.model_client: unknown provider 'nope.Client'; "
        "supported: OpenAIChatCompletionClient, AzureOpenAIChatCompletionClient, "
        "OllamaChatCompletionClient"]


def test_tool_source_is_never_run_on_import(tmp_path):
    marker = tmp_path / "ran.txt"
    data = load("autogen04_team.json")
    tool = data["config"]["participants"][0]["config"]["tools"][0]["config"]
    tool["source_code"] = (f"open({str(marker)!r}, 'w').write('x')\n\n" + tool["source_code"])
    spec = imported("team.json", data).spec
    assert not marker.exists() and "open(" in spec.tools[0].source


def test_an_unusable_tool_is_left_out_and_reported():
    data = load("autogen04_team.json")
    data["config"]["participants"][0]["config"]["tools"][0]["config"]["source_code"] = "def ("
    report = imported("team.json", data).reports[0]
    assert report.spec.tools == [] and report.spec.agent("assistant_agent").tools == []
    assert any("does not parse" in n for n in report.not_mapped)


def test_documented_source_keeps_good_docstrings_and_fixes_missing_ones():
    good = 'def f(x: int) -> int:\n    """Double.\n\n    Args:\n        x: A number.\n    """\n    return 2 * x\n'
    assert documented_source("f", good, "", []) == good
    fixed = documented_source("twice", "def f(x, y=1):\n    '''Double x.'''\n    return 2 * x\n",
                              "unused", ["import math"])
    assert fixed.startswith("import math\ndef twice(x, y=1):\n")
    assert '    """Double x.\n\n    Args:\n        x: The x.\n        y: The y.\n    """' in fixed
    with pytest.raises(ValueError, match="own lines"):
        documented_source("f", "def f(x): return x\n", "", [])
    with pytest.raises(ValueError, match=r"\*args"):
        documented_source("f", "def f(*a):\n    return a\n", "", [])


def test_imports_keep_the_original_data_untouched():
    data = load("autogen04_selector.json")
    before = copy.deepcopy(data)
    imported("team.json", data)
    assert data == before


def test_04_workbench_tools_are_imported_as_tools(tmp_path):
    """AutoGen Studio keeps tools in a StaticWorkbench (every team of its own gallery)."""
    report = imported("autogen04_workbench.json").reports[0]
    spec = report.spec
    assert spec.agent("assistant_agent").tools == ["calculator"]
    assert spec.agent("user").execute_tools == ["calculator"]
    assert "agent 'assistant_agent': tool 'calculator' (inline Python function)" in report.mapped
    assert not any("workbenches are not supported" in n for n in report.not_mapped)
    assert any("McpWorkbench" in n and "MCP servers are not supported" in n
               for n in report.not_mapped)
    result = run(spec, tmp_path, [
        {"agent": "assistant_agent", "tool_calls": [
            {"name": "calculator", "arguments": {"a": 6, "b": 7, "operator": "*"}}]},
        {"agent": "assistant_agent", "content": "6 times 7 is 42. TERMINATE"}])
    assert [m.content for m in result.messages if m.role == "tool"] == ["42.0"]


def test_04_single_workbench_object_and_bad_workbench():
    data = load("autogen04_workbench.json")
    agent = data["config"]["participants"][0]["config"]
    agent["workbench"] = agent["workbench"][0]  # one component instead of a list
    assert imported("team.json", data).spec.agent("assistant_agent").tools == ["calculator"]
    agent["workbench"] = ["not a component"]
    with pytest.raises(SpecError, match=r"participants\[0\]\.config\.workbench\[0\]: expected a "
                                        "workbench component"):
        imported("team.json", data)


@pytest.mark.parametrize(("value", "executor"), [
    ("local", "local"), ("docker", "docker"), ("Local", "local"), (True, "local"),
    ("none", None), (False, None),
])
def test_02_code_execution_in_its_short_form(value, executor):
    data = load("autogen02_workflow.json")
    data["sender"]["config"]["code_execution_config"] = value
    report = imported("flow.json", data).reports[0]
    code = report.spec.agent("userproxy").code_execution
    assert (code.executor if code else None) == executor
    if executor:
        assert f"agent 'userproxy': runs code ({executor})" in report.mapped


def test_02_local_string_form_really_runs_code(tmp_path):
    data = load("autogen02_workflow.json")
    data["sender"]["config"]["code_execution_config"] = "local"
    spec = imported("flow.json", data).spec
    result = run(spec, tmp_path, [
        {"agent": "primary_assistant", "content": "```python\nprint(6 * 7)\n```"},
        {"agent": "primary_assistant", "content": "It printed 42. TERMINATE"}])
    outputs = [m.content for m in result.messages if m.name == "userproxy"]
    assert any("42" in (text or "") and "exitcode: 0" in (text or "") for text in outputs), outputs


def test_02_unknown_short_form_is_reported():
    data = load("autogen02_workflow.json")
    data["sender"]["config"]["code_execution_config"] = "jupyter"
    report = imported("flow.json", data).reports[0]
    assert report.spec.agent("userproxy").code_execution is None
    assert any("code_execution_config 'jupyter'" in n for n in report.not_mapped)

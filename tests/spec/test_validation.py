"""Validation reports every problem with a precise path (and the agent it concerns)."""

from __future__ import annotations

from typing import Any

import pytest

from studio.spec import Problem, SpecError, load_template, validate


def errors(doc: dict[str, Any], registry: Any) -> dict[str, str]:
    return {p.path: p.message for p in validate(doc, registry=registry) if p.severity == "error"}


def test_the_base_document_is_valid(doc, registry):
    assert validate(doc, registry=registry) == []
    spec = load_template(doc, registry=registry)
    assert spec.agent("assistant").tools == ["calculator"]


def test_unknown_tool_has_the_agent_path(doc, registry):
    doc["agents"][1]["tools"] = ["calculator", "serch"]
    problems = validate(doc, registry=registry)
    assert [str(p) for p in problems] == ["agents[1].tools[1]: unknown tool 'serch'"]
    assert problems[0].agent == "assistant" and problems[0].field == "tools"


def test_duplicate_agent_names(doc, registry):
    doc["agents"].append({"name": "assistant", "model": "main"})
    assert errors(doc, registry)["agents[2].name"] == "duplicate agent name 'assistant'"


@pytest.mark.parametrize("name", ["my agent", "agent!", "x" * 65, "ünïcode"])
def test_names_the_model_api_rejects(doc, registry, name):
    doc["agents"][1]["name"] = name
    doc["pattern"]["edges"][0]["target"] = name
    message = errors(doc, registry)["agents[1].name"]
    assert "letters, digits" in message and repr(name) in message


def test_agent_no_edge_reaches(doc, registry):
    doc["agents"].append({"name": "lonely", "model": "main"})
    problems = [p for p in validate(doc, registry=registry) if p.path == "agents[2]"]
    assert problems and "no edge reaches agent 'lonely'" in problems[0].message
    assert problems[0].agent == "lonely"


def test_a_nested_chat_recipient_counts_as_reached(doc, registry):
    doc["agents"].append({"name": "critic", "model": "main"})
    doc["agents"][1]["nested_chats"] = [{"recipient": "critic"}]
    assert validate(doc, registry=registry) == []


def test_group_of_one(doc, registry):
    doc["agents"] = [{"name": "solo", "model": "main"}]
    doc["pattern"] = {"kind": "group", "starter": "solo", "edges": []}
    found = errors(doc, registry)
    assert "at least 2 members, found 1" in found["pattern.edges"]


def test_no_starting_agent(doc, registry):
    del doc["pattern"]["starter"]
    assert errors(doc, registry)["pattern.starter"].startswith("no starting agent")


def test_edge_naming_an_unknown_agent(doc, registry):
    doc["pattern"]["edges"][0]["target"] = "asistant"
    found = errors(doc, registry)
    assert found["pattern.edges[0].target"] == "unknown agent 'asistant'"
    assert "agents[1]" in found  # and the real assistant is now unreached


def test_unknown_starter(doc, registry):
    doc["pattern"]["starter"] = "nobody"
    assert errors(doc, registry)["pattern.starter"] == "unknown agent 'nobody'"


def test_unknown_model_everywhere(doc, registry):
    doc["agents"][1]["model"] = "gpt-99"
    doc["models"]["other"] = "nope"
    found = errors(doc, registry)
    assert found["agents[1].model"].startswith("unknown model 'gpt-99'")
    assert found["models.other"].startswith("unknown model 'nope'")


def test_inline_model_configs(doc, registry):
    doc["models"]["mine"] = {"provider": "openai_compatible", "model": "m"}
    doc["models"]["azure"] = {"preset": "no-such-preset"}
    found = errors(doc, registry)
    assert found["models.mine.base_url"] == "a openai_compatible model needs a base_url"
    assert found["models.azure.preset"] == "unknown model preset 'no-such-preset'"


def test_an_api_key_in_the_template_is_refused(doc, registry):
    doc["models"]["main"] = {"preset": "openai", "api_key": "sk-123"}
    (problem,) = validate(doc, registry=registry)
    assert problem.path == "models.main.api_key"
    assert "api_key_env" in problem.message


def test_assistant_needs_a_model(doc, registry):
    del doc["agents"][1]["model"]
    assert "needs a model" in errors(doc, registry)["agents[1].model"]


def test_demo_script_turn_naming_an_unknown_agent(doc, registry):
    doc["demo_scripts"] = [{"task": "What is 2 + 2?", "turns": [
        {"agent": "assistant", "content": "ok"}, {"agent": "asistant", "content": "hi"}]}]
    assert errors(doc, registry) == {
        "demo_scripts[0].turns[1].agent": "unknown agent 'asistant'"}


def test_demo_script_tool_call_must_be_a_tool_of_the_agent(doc, registry):
    doc["demo_scripts"] = [{"turns": [
        {"agent": "assistant", "tool_calls": [{"name": "word_count", "arguments": {"text": "a"}}]},
        {"agent": "assistant"}]}]
    found = errors(doc, registry)
    assert (found["demo_scripts[0].turns[0].tool_calls[0].name"]
            == "agent 'assistant' has no tool 'word_count'")
    assert found["demo_scripts[0].turns[1]"] == "a turn needs non-empty content or tool_calls"


def test_a_template_of_old_has_its_one_demo_script_for_the_first_sample_task(doc, registry):
    doc["demo_script"] = [{"agent": "assistant", "content": "4. TERMINATE"}]
    spec = load_template(doc, registry=registry)
    assert [(s.task, len(s.turns)) for s in spec.demo_scripts] == [("What is 2 + 2?", 1)]
    assert "demo_script" not in spec.to_dict() and spec.to_dict()["demo_scripts"]


def test_demo_scripts_tasks_are_unique_and_placeholders_known(doc, registry):
    turn = {"agent": "assistant", "content": "About {{topic}}: {{topc}}. TERMINATE"}
    doc["demo_scripts"] = [{"task": "What is 2 + 2?", "turns": [turn]},
                           {"task": "what is 2 + 2", "turns": [turn]},
                           {"turns": [turn]}, {"turns": []}]
    found = errors(doc, registry)
    assert found["demo_scripts[1].task"] == "demo_scripts[0] is already for this task"
    assert found["demo_scripts[3].task"] == "demo_scripts[2] is already for any other task"
    assert found["demo_scripts[3].turns"] == "a script needs at least one turn"
    assert found["demo_scripts[2].turns[0]"].startswith("unknown placeholder {{topc}}; known are task,")


def test_shape_errors_have_paths(doc, registry):
    doc["agents"][0]["human_input"] = "sometimes"
    doc["agents"][1]["colour"] = "red"
    doc["pattern"]["kind"] = "circle"
    found = errors(doc, registry)
    assert found["agents[0].human_input"].startswith("should be 'always', 'terminate' or 'never'")
    assert found["agents[1].colour"] == "unknown field 'colour'"
    assert found["pattern.kind"].startswith("should be 'two_agent', 'sequence' or 'group'")
    problem = next(p for p in validate(doc, registry=registry) if p.path == "agents[1].colour")
    assert (problem.agent, problem.field) == ("assistant", "colour")


def test_missing_required_fields(doc, registry):
    del doc["pattern"]
    del doc["agents"][0]["name"]
    found = errors(doc, registry)
    assert found == {"pattern": "this field is required", "agents[0].name": "this field is required"}


def test_inline_tool_source_is_checked(doc, registry):
    doc["tools"] = [{"name": "shout", "source": "def shout(text: str) -> str:\n    return text\n"},
                    {"name": "broken", "source": "def broken(:\n"}]
    doc["agents"][1]["tools"] = ["shout", {"name": "whisper", "source": "x = 1"}]
    found = errors(doc, registry)
    assert "needs a docstring" in found["tools[0].source"]
    assert "does not parse" in found["tools[1].source"]
    assert "function named 'whisper'" in found["agents[1].tools[1].source"]


def test_two_agent_needs_exactly_one_edge_from_the_starter(doc, registry):
    doc["pattern"]["edges"].append({"source": "assistant", "target": "user"})
    assert "exactly one edge" in errors(doc, registry)["pattern.edges"]
    doc["pattern"]["edges"] = [{"source": "assistant", "target": "user"}]
    assert "must start from the starter 'user'" in errors(doc, registry)["pattern.edges[0].source"]


def test_sequence_rules(doc, registry):
    doc["agents"].append({"name": "writer", "model": "main"})
    doc["pattern"] = {"kind": "sequence", "edges": [
        {"source": "user", "target": "assistant", "order": 1},
        {"source": "assistant", "target": "writer", "order": 1},
        {"source": "writer", "target": "writer", "order": 2},
    ]}
    found = errors(doc, registry)
    assert found["pattern.edges[1].order"] == "order 1 is already used by pattern.edges[0]"
    assert found["pattern.edges[2]"] == "an agent cannot chat with itself"
    assert "pattern.starter" not in found  # a sequence starts with its first chat


def test_group_starter_needs_an_outgoing_edge(doc, registry):
    doc["agents"].append({"name": "critic", "model": "main"})
    doc["pattern"] = {"kind": "group", "starter": "user", "edges": [
        {"source": "assistant", "target": "critic"}, {"source": "critic", "target": "assistant"},
        {"source": "user", "target": "assistant", "order": 3}]}
    problems = validate(doc, registry=registry)
    assert [p for p in problems if p.severity == "error"] == []
    assert any(p.path == "pattern.edges[2]" and p.severity == "warning" for p in problems)
    doc["pattern"]["edges"].pop()
    assert "no edge leaves the starter" in errors(doc, registry)["pattern.edges"]


def test_bad_termination_regex_and_nested_self(doc, registry):
    doc["agents"][1]["termination"] = {"kind": "regex", "value": "(unclosed"}
    doc["agents"][1]["nested_chats"] = [{"recipient": "assistant"}, {"recipient": "ghost"}]
    found = errors(doc, registry)
    assert found["agents[1].termination.value"].startswith("not a valid regular expression")
    assert found["agents[1].nested_chats[0].recipient"] == "an agent cannot consult itself in a nested chat"
    assert found["agents[1].nested_chats[1].recipient"] == "unknown agent 'ghost'"


def test_warnings_do_not_stop_loading(doc, registry):
    doc["layout"] = {"user": {"x": 1, "y": 2}, "gone": {"x": 0, "y": 0}}
    doc["sample_tasks"] = []
    warnings = validate(doc, registry=registry)
    assert {p.path for p in warnings} == {"layout.gone", "sample_tasks"}
    assert all(p.severity == "warning" for p in warnings)
    assert load_template(doc, registry=registry).layout["user"].x == 1


def test_load_template_raises_with_every_problem(doc, registry):
    doc["agents"][1]["tools"] = ["serch"]
    doc["pattern"]["starter"] = "nobody"
    with pytest.raises(SpecError) as info:
        load_template(doc, registry=registry)
    paths = {p.path for p in info.value.errors}
    assert {"agents[1].tools[0]", "pattern.starter"} <= paths
    assert "agents[1].tools[0]: unknown tool 'serch'" in str(info.value)


def test_load_template_reports_bad_yaml_and_format(registry):
    with pytest.raises(SpecError, match=r"not valid YAML/JSON \(line 2"):
        load_template("name: x\n  bad: [", registry=registry)
    with pytest.raises(SpecError, match="unsupported template format 2"):
        load_template("format: 2\nname: x\n", registry=registry)
    with pytest.raises(SpecError, match="must be a mapping"):
        load_template("- just\n- a list\n", registry=registry)


def test_problem_shape():
    problem = Problem("agents[0].name", "bad", agent="a", field="name")
    assert str(problem) == "agents[0].name: bad"
    assert problem.to_dict() == {"path": "agents[0].name", "message": "bad", "agent": "a",
                                 "field": "name", "severity": "error", "line": None,
                                 "column": None, "source": ""}
    from_a_file = Problem("agents[0].name", "bad", source="mine.yaml", line=4)
    assert str(from_a_file) == "mine.yaml: agents[0].name: bad"
    assert str(Problem("", "the file is empty", source="mine.yaml")) == "mine.yaml: the file is empty"


def test_a_tool_nobody_executes_is_a_warning(doc, registry):
    doc["agents"][0]["execute_tools"] = []
    (problem,) = validate(doc, registry=registry)
    assert problem.severity == "warning" and problem.path == "agents[1].tools[0]"
    assert "no other agent executes tool 'calculator'" in problem.message

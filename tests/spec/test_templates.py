"""Every bundled template is valid and survives a YAML and a JSON round trip unchanged."""

from __future__ import annotations

import json

import pytest
import yaml

from studio.spec import (
    TemplateSpec,
    bundled_template_names,
    dump_json,
    dump_yaml,
    load_bundled_template,
    load_template,
    validate,
)

NAMES = bundled_template_names()
REQUIRED = {"code_assistant", "planning_group", "research_write_review", "writer_with_critic",
            "human_in_the_loop"}


def test_the_first_journey_templates_are_bundled():
    assert REQUIRED <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_bundled_template_is_clean_and_complete(name, registry):
    spec = load_bundled_template(name, registry=registry)
    assert validate(spec, registry=registry) == []  # not even a warning
    assert spec.description and spec.tags and spec.sample_tasks and spec.demo_scripts
    assert set(spec.layout) == set(spec.agent_names)
    assert "{task}" in spec.pattern.message or any(
        "{task}" in (e.message or "") for e in spec.pattern.edges)


@pytest.mark.parametrize("name", NAMES)
def test_round_trip(name, registry):
    spec = load_bundled_template(name, registry=registry)
    from_yaml = load_template(dump_yaml(spec), registry=registry)
    from_json = load_template(dump_json(spec), registry=registry)
    assert from_yaml == spec and from_json == spec
    assert dump_yaml(from_yaml) == dump_yaml(spec)
    assert json.loads(dump_json(spec))["format"] == 1
    assert yaml.safe_load(dump_yaml(spec)) == json.loads(dump_json(spec))


def test_dump_is_compact_and_readable(registry):
    spec = load_bundled_template("code_assistant", registry=registry)
    text = dump_yaml(spec)
    assert text.startswith("format: 1\nname: Code assistant\n")
    assert "kind: user_proxy" in text and "kind: assistant" in text  # kind is always written
    assert "nested_chats" not in text  # defaults are left out
    assert "system_message: |-\n" in text  # multi-line text stays readable


def test_demo_scripts_dicts_have_the_demo_model_shape(registry):
    spec = load_bundled_template("tool_helper", registry=registry)
    scripts = spec.demo_scripts_dicts()
    assert scripts[0]["task"] == spec.sample_tasks[0]
    turns = scripts[0]["turns"]
    assert turns[0] == {"agent": "assistant", "tool_calls": [
        {"name": "unit_convert", "arguments": {"value": 350, "from_unit": "F", "to_unit": "C"}}]}
    assert set(turns[-1]) == {"agent", "content"}


def test_spec_helpers(registry):
    spec = load_bundled_template("planning_group", registry=registry)
    assert isinstance(spec, TemplateSpec)
    assert spec.agent("critic").model == "main"
    assert spec.default_task == spec.sample_tasks[0]
    with pytest.raises(KeyError, match="no agent named 'nobody'"):
        spec.agent("nobody")
    with pytest.raises(KeyError, match="no bundled template 'nope'"):
        load_bundled_template("nope")

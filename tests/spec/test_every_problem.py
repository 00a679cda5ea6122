"""A template with a typo or a wrong value still gets every other problem reported at once,
and an unknown model names the models that can be picked; it stays invalid all the same."""

from __future__ import annotations

from typing import Any

import pytest

from studio.spec import (
    Registry,
    SpecError,
    canonical_parts,
    closest_field,
    load_template,
    locate_problems,
    validate,
)


def errors(doc: dict[str, Any], registry: Registry) -> dict[str, str]:
    return {p.path: p.message for p in validate(doc, registry=registry) if p.severity == "error"}


def test_a_misspelt_top_level_field_hides_nothing(doc, registry) -> None:
    doc["agnets"] = doc.pop("agents")
    doc["agnets"][1]["model"] = "gpt5"
    doc["pattern"]["starter"] = "nobody"
    found = errors(doc, registry)
    assert found == {
        "agnets": "unknown field 'agnets'; did you mean 'agents'?",
        "agnets[1].model": "unknown model 'gpt5'; models you can choose: main, "
                           + ", ".join(registry.models),
        "pattern.starter": "unknown agent 'nobody'",
        "pattern.edges[0].source": "the chat must start from the starter 'nobody', not 'user'",
    }, "no 'the team needs an agent', no 'pattern is required': the typo is read as agents"
    model = next(p for p in validate(doc, registry=registry) if p.path == "agnets[1].model")
    assert (model.agent, model.field) == ("assistant", "model")
    with pytest.raises(SpecError) as raised:
        load_template(doc, registry=registry)
    assert "unknown field 'agnets'" in str(raised.value), "nothing invalid is loaded"


def test_a_misspelt_agent_field_hides_nothing(doc, registry) -> None:
    doc["agents"][1]["sytem_message"] = "Be brief."
    doc["agents"][1]["modle"] = "gpt5"
    del doc["agents"][1]["model"]
    doc["pattern"]["edges"][0]["target"] = "asistant"
    found = validate_paths(doc, registry)
    assert found["agents[1].sytem_message"] == ("unknown field 'sytem_message'; did you mean "
                                                "'system_message'?\n")
    typo, model = found["agents[1].modle"].splitlines()  # the typo, and what it holds
    assert typo == "unknown field 'modle'; did you mean 'model'?"
    assert model.startswith("unknown model 'gpt5'; models you can choose: main, demo")
    assert found["pattern.edges[0].target"] == "unknown agent 'asistant'\n"


def validate_paths(doc: dict[str, Any], registry: Registry) -> dict[str, str]:
    """Every message at each path, joined (a path can hold two problems)."""
    joined: dict[str, str] = {}
    for p in validate(doc, registry=registry):
        joined[p.path] = joined.get(p.path, "") + p.message + "\n"
    return joined


def test_a_field_with_no_close_name_is_named_and_the_rest_still_checked(doc, registry) -> None:
    doc["agents"][1]["colour"] = "red"
    doc["agents"][1]["model"] = "gpt5"
    found = errors(doc, registry)
    assert found["agents[1].colour"] == "unknown field 'colour'"
    assert found["agents[1].model"].startswith("unknown model 'gpt5'")


def test_a_wrong_value_hides_nothing_else_and_invents_nothing(doc, registry) -> None:
    doc["agents"][1]["kind"] = "asistant"
    del doc["agents"][1]["model"]  # an assistant would need one: the kind is not known
    doc["agents"][1]["max_consecutive_auto_reply"] = "many"
    doc["pattern"]["starter"] = "nobody"
    found = errors(doc, registry)
    assert found.keys() == {"agents[1].kind", "agents[1].max_consecutive_auto_reply",
                            "pattern.starter", "pattern.edges[0].source"}


def test_a_wrong_value_in_the_pattern_leaves_the_pattern_to_its_own_error(doc, registry) -> None:
    doc["pattern"]["edges"][0]["max_turns"] = "two"
    doc["agents"][1]["model"] = "gpt5"
    found = errors(doc, registry)
    assert found.keys() == {"pattern.edges[0].max_turns", "agents[1].model"}


@pytest.mark.parametrize("break_it", [
    lambda d: d["agents"][1].pop("name"),  # other parts refer to agents by name
    lambda d: d["pattern"].update(kind="circle"),  # every pattern check depends on it
    lambda d: d.update(agents="user, assistant"),
])
def test_nothing_is_guessed_when_the_names_themselves_are_broken(doc, registry, break_it
                                                                 ) -> None:
    doc["models"]["main"] = "gpt5"
    break_it(doc)
    found = errors(doc, registry)
    assert len(found) == 1 and "models.main" not in found, found


def test_an_api_key_is_not_read_as_a_misspelt_field(doc, registry) -> None:
    doc["models"]["main"] = {"preset": "openai", "api_key": "sk-123"}
    assert closest_field("api_key", ["models", "main"]) is None
    (problem,) = validate(doc, registry=registry)
    assert problem.path == "models.main.api_key" and "api_key_env" in problem.message


def test_an_older_field_name_is_not_taken_for_a_typo(doc, registry) -> None:
    doc["demo_script"] = [{"agent": "assistant", "content": "4. TERMINATE"}]  # before 2 scripts
    doc["agents"][1]["model"] = "gpt5"
    found = errors(doc, registry)
    assert list(found) == ["agents[1].model"]
    doc["agents"][1]["colour"] = "red"  # the shape is wrong now: still read as it was meant
    found = errors(doc, registry)
    assert found.keys() == {"agents[1].colour", "agents[1].model"}


def test_an_unknown_model_lists_the_pickers_models_and_suggests_a_close_one(doc, registry
                                                                           ) -> None:
    mine = Registry()
    mine.models, mine.tools = dict(registry.models), dict(registry.tools)
    mine.add_model("team-gpt", {"provider": "openai", "model": "gpt-4o"}, origin="user")
    doc["models"] = {"writer": "demo", "checker": "local"}
    doc["agents"][1]["model"] = "dmeo"
    message = errors(doc, mine)["agents[1].model"]
    picker = ["writer", "checker", *registry.models, "team-gpt"]  # the template's first
    assert message == (f"unknown model 'dmeo'; did you mean 'demo'?; models you can choose: "
                       f"{', '.join(picker)}")
    doc["models"]["writer"] = "gpt5"
    assert errors(doc, mine)["models.writer"] == (
        f"unknown model 'gpt5'; models you can choose: {', '.join([*registry.models, 'team-gpt'])}"
        "; or describe the model inline (provider, model, base_url)")


def test_problems_under_a_misspelt_key_are_located_on_its_lines(doc, registry) -> None:
    text = """format: 1
name: Pair
models: {main: demo}
agnets:
  - {name: user, kind: user_proxy, human_input: never, execute_tools: [calculator]}
  - name: assistant
    model: gpt5
    tools: [calculator]
pattern:
  kind: two_agent
  starter: user
  edges: [{source: user, target: assistant}]
sample_tasks: [x]
"""
    with pytest.raises(SpecError) as raised:
        load_template(text, registry=registry)
    lines = {p.path: p.line for p in locate_problems(text, raised.value.problems)}
    assert lines == {"agnets": 4, "agnets[1].model": 7}
    assert canonical_parts(["agnets", 1, "model"]) == ["agents", 1, "model"]

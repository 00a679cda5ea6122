"""The text view's problems in the Builder's words: the place, the message, the YAML line."""

from __future__ import annotations

import re

import pytest

from studio.app._builder_text_problems import SEPARATOR, TextProblem, explain
from studio.app._builder_words import AGENT_LABELS, PATTERN_LABELS
from studio.spec import (
    Registry,
    SpecError,
    default_registry,
    dump_json,
    dump_yaml,
    load_bundled_template,
    parse_text,
    problem_lines,
    validate,
)

REGISTRY = default_registry()


@pytest.fixture(scope="module")
def yaml_text() -> str:
    return dump_yaml(load_bundled_template("writer_with_critic"))


def problems_of(text: str, registry: Registry | None = None) -> list[TextProblem]:
    """What the text view shows for ``text``: its errors, explained."""
    try:
        problems = validate(parse_text(text), registry=registry or REGISTRY)
    except SpecError as exc:
        problems = exc.problems
    errors = [p for p in problems if p.severity == "error"]
    return explain(errors, text, registry=registry or REGISTRY)


def line_of(text: str, needle: str) -> int:
    """The (1-based) line of the text where ``needle`` is, found independently of the code."""
    (number,) = [i for i, row in enumerate(text.split("\n"), 1) if needle in row]
    return number


def change(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


BUILT_IN = ", ".join(REGISTRY.models)  # the presets, in the order of the model picker


def with_my_model() -> Registry:
    """The bundled presets and a model added on the Models page (as the store adds it)."""
    registry = Registry()
    registry.models, registry.tools = dict(REGISTRY.models), dict(REGISTRY.tools)
    registry.add_model("my-gpt", {"provider": "openai", "model": "gpt-4o"}, origin="user")
    return registry


def test_an_unknown_model_is_named_by_agent_and_label_on_its_line(yaml_text) -> None:
    text = change(yaml_text, "  model: main\npattern:", "  model: gpt-9\npattern:")
    (problem,) = problems_of(text, with_my_model())
    assert problem.where == f"Agent “critic”{SEPARATOR}{AGENT_LABELS['model']}"
    assert problem.message == (
        "'gpt-9' is not one of the models you can pick. The Model list offers this "
        f"template's main; built in: {BUILT_IN}; added on the Models page: my-gpt. Pick one of "
        "those or add a model on the Models page.")
    assert problem.line == line_of(text, "model: gpt-9")
    assert problem.path == "agents[2].model"
    shown = str(problem)
    assert shown.startswith(f"Line {problem.line}: Agent “critic” › Model: 'gpt-9' is not")
    assert shown.endswith("(agents[2].model)"), "the raw path stays, for YAML writers"


def test_a_model_name_close_to_one_you_can_pick_is_suggested(yaml_text) -> None:
    text = change(yaml_text, "  model: main\npattern:", "  model: dmeo\npattern:")
    (problem,) = problems_of(text)
    assert problem.message.startswith("'dmeo' is not one of the models you can pick: did you "
                                      "mean 'demo'? The Model list offers this template's main;")


def test_a_template_model_naming_no_preset_says_what_it_can_name(yaml_text) -> None:
    text = change(yaml_text, "  main: demo", "  main: gpt5")
    problem = next(p for p in problems_of(text) if p.path == "models.main")
    assert problem.message == (
        f"'gpt5' is not one of the models you can pick. The Model list offers built in: "
        f"{BUILT_IN}. Pick one of those, describe the model here (provider, model, base_url) "
        "or add a model on the Models page.")
    assert problem.line == line_of(text, "main: gpt5")


def test_an_unknown_pattern_kind_lists_the_choices_in_words(yaml_text) -> None:
    text = change(yaml_text, "kind: two_agent", "kind: circle")
    (problem,) = problems_of(text)
    assert problem.where == f"Conversation{SEPARATOR}{PATTERN_LABELS['kind']}"
    assert problem.message == ("'circle' is not one of the choices: 'group' (Group "
                               "conversation), 'two_agent' (Two agents talk), 'sequence' (One "
                               "chat after another)")
    assert problem.line == line_of(text, "kind: circle")


def test_a_missing_agent_name_is_placed_on_that_agent(yaml_text) -> None:
    text = change(yaml_text, "- name: critic\n  kind: assistant", "- kind: assistant")
    (problem,) = problems_of(text)
    assert problem.where == "Agent #3 (no name) › Name"
    assert problem.message == "required, but missing"
    assert problem.line == line_of(text, "Advises the writer") - 1  # the agent's first line


def test_a_wrong_type_says_what_it_should_be(yaml_text) -> None:
    text = change(yaml_text, "  max_turns: 1\nsample_tasks", "  max_turns: many\nsample_tasks")
    (problem,) = problems_of(text)
    assert problem.where == "Conversation › Max turns"
    assert problem.message == "should be a whole number (got 'many')"
    assert problem.line == line_of(text, "max_turns: many")
    nested = change(yaml_text, "max_turns: 3", "max_turns: lots")
    (problem,) = problems_of(nested)
    assert problem.where == "Agent “writer” › Consults others before answering #1 › Max turns"
    assert problem.line == line_of(nested, "max_turns: lots")


def test_a_yaml_syntax_error_says_line_and_column_and_shows_the_line(yaml_text) -> None:
    text = change(yaml_text, "  human_input: never", "  human_input: [never")
    (problem,) = problems_of(text)
    assert problem.where == "" and problem.path == ""
    assert (problem.line, problem.column) == (line_of(text, "- name: writer"), 7)
    assert problem.message.startswith(f"The text is not valid YAML at line {problem.line}, "
                                      "column 7: ")
    assert problem.excerpt.split("\n") == [f"{problem.line - 1} |   human_input: [never",
                                           f"{problem.line} | - name: writer",
                                           f"{' ' * len(str(problem.line))} |       ^"]
    tabbed = change(yaml_text, "agents:\n", "agents:\n\t- name: x\n")
    (problem,) = problems_of(tabbed)
    assert (problem.line, problem.column) == (line_of(tabbed, "\t- name: x"), 1)
    assert problem.excerpt.split("\n")[-2:] == [f"{problem.line} | →- name: x",
                                                f"{' ' * len(str(problem.line))} | ^"]
    assert "indented with spaces, not tabs" in problem.message


def test_an_edge_to_an_agent_that_does_not_exist(yaml_text) -> None:
    text = change(yaml_text, "target: writer", "target: writr")
    *unreached, edge = problems_of(text)  # in the order of their lines
    assert edge.where == "Conversation › Connection user → writr › To"
    assert edge.message == "'writr' is not an agent of this team (its agents: user, writer, critic)"
    assert edge.line == line_of(text, "target: writr")
    assert [p.where for p in unreached] == ["Agent “writer”", "Agent “critic”"]
    assert all(p.message.startswith("no connection reaches this agent") for p in unreached)


def test_a_misspelt_setting_suggests_the_right_one(yaml_text) -> None:
    text = change(yaml_text, "  human_input: never", "  human_imput: never")
    (problem,) = problems_of(text)
    assert problem.message == ("'human_imput' is not a setting here; did you mean "
                               "'human_input' (Asks you)?")
    assert problem.line == line_of(text, "human_imput")


def test_a_misspelt_field_does_not_hide_the_other_problems(yaml_text) -> None:
    """One Apply shows everything: the typo (with the field it was meant to be) and what
    the rest of the text has wrong, each on its line, under the misspelt list too."""
    text = change(yaml_text, "agents:\n", "agnets:\n")
    text = change(text, "  system_message: |-\n    You are a writer",
                  "  sytem_message: |-\n    You are a writer")
    text = change(text, "  model: main\npattern:", "  model: gpt-9\npattern:")
    text = change(text, "  starter: user", "  starter: nobody")
    shown = {p.path: p for p in problems_of(text)}
    assert list(shown) == ["agnets", "agnets[1].sytem_message", "agnets[2].model",
                           "pattern.starter", "pattern.edges[0].source"]
    assert shown["agnets"].message == "'agnets' is not a setting here; did you mean 'agents' (Agents)?"
    typo = shown["agnets[1].sytem_message"]
    assert typo.where == f"Agent “writer”{SEPARATOR}sytem_message"
    assert typo.message == ("'sytem_message' is not a setting here; did you mean 'system_message' "
                            "(System message)?")
    assert typo.line == line_of(text, "sytem_message:")
    model = shown["agnets[2].model"]
    assert (model.where, model.line) == ("Agent “critic” › Model", line_of(text, "model: gpt-9"))
    assert model.message.startswith("'gpt-9' is not one of the models you can pick.")
    starter = shown["pattern.starter"]
    assert starter.message == ("'nobody' is not an agent of this team (its agents: user, writer, "
                               "critic)")
    assert starter.line == line_of(text, "starter: nobody")


def test_a_wrong_value_does_not_hide_the_other_problems(yaml_text) -> None:
    text = change(yaml_text, "  max_turns: 1\n", "  max_turns: one\n")
    text = change(text, "  model: main\npattern:", "  model: gpt-9\npattern:")
    shown = {p.path: p.message for p in problems_of(text)}
    assert shown.keys() == {"pattern.max_turns", "agents[2].model"}
    assert shown["pattern.max_turns"] == "should be a whole number (got 'one')"


def test_json_text_is_located_too() -> None:
    text = dump_json(load_bundled_template("writer_with_critic"))
    text = change(text, '"model": "main"\n    }\n  ]', '"model": "gpt-9"\n    }\n  ]')
    (problem,) = problems_of(text)
    assert problem.where == "Agent “critic” › Model"
    assert problem.line == line_of(text, '"model": "gpt-9"')


def test_markdown_keeps_typed_names_literal() -> None:
    problem = TextProblem("Agent “*x*” › Model", "'$5_a' is not a model", "agents[0].model", 7)
    shown = problem.markdown()
    assert shown.startswith("- **Line 7** · Agent “\\*x\\*” › Model: '\\$5\\_a' is not a model")
    assert re.search(r":small\[`agents\[0\]\.model`\]$", shown)


def test_broken_json_is_called_json() -> None:
    text = dump_json(load_bundled_template("writer_with_critic"))
    broken = text.replace('",\n', '"\n', 1)  # a comma left out
    (problem,) = problems_of(broken)
    assert problem.message.startswith(f"The text is not valid JSON at line {problem.line}")
    assert problem_lines([parse_problem(broken)], broken)[0].startswith(
        f"line {problem.line}, column {problem.column}: not valid JSON: ")


def parse_problem(text: str):  # noqa: ANN201 - a Problem
    try:
        parse_text(text)
    except SpecError as exc:
        return exc.problems[0]
    raise AssertionError("the text parsed")

"""locate_problems: the line and column of a problem's field in the template's text."""

from __future__ import annotations

from studio.spec import Problem, SpecError, locate_problems, parse_text

TEXT = """\
name: t
models:
  my.model: {provider: demo}
agents:
- name: a
  model: x
- kind: assistant
  description: no name
pattern:
  kind: group
  edges:
  - {source: a, target: b}
"""


def test_each_path_lands_on_its_key_or_item() -> None:
    paths = ["agents[0].model", "agents[1].name", "pattern.edges[0].target",
             "models.my.model.provider", "agents[5].name", "pattern.nothing", ""]
    located = locate_problems(TEXT, [Problem(p, "m") for p in paths])
    assert [(p.line, p.column) for p in located] == [
        (6, 3),  # the key "model:"
        (7, 3),  # "name" is missing: the agent's first line
        (12, 17),  # inside the flow mapping
        (3, 14),  # a model key holding a dot
        (4, 1),  # no 6th agent: the agents list
        (9, 1),  # no such key: the pattern
        (None, None),  # the whole text
    ]


def test_text_that_does_not_parse_keeps_problems_as_they_are() -> None:
    problem = Problem("agents[0]", "m")
    assert locate_problems("a: [", [problem]) == [problem]


def test_a_syntax_error_carries_its_line_and_column() -> None:
    try:
        parse_text("name: x\nagents:\n  - [a\n  b: c\n")
    except SpecError as exc:
        (problem,) = exc.problems
    else:
        raise AssertionError("the text should not parse")
    assert (problem.line, problem.column) == (4, 4)
    assert problem.message.startswith("not valid YAML/JSON (line 4, column 4): ")

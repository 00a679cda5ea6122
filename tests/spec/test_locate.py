"""locate_problems: the line and column of a problem's field in the template's text; files
read from text carry them; problem_lines and text_excerpt show them."""

from __future__ import annotations

import json

import pytest

from studio.spec import (
    Problem,
    SpecError,
    dump_yaml,
    import_file,
    is_syntax_error,
    load_bundled_template,
    load_template,
    locate_problems,
    parse_text,
    problem_lines,
    text_excerpt,
)

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


def _line_of(text: str, needle: str) -> int:
    (number,) = [n for n, row in enumerate(text.split("\n"), 1) if needle in row]
    return number


def test_a_file_read_from_text_has_its_problems_on_their_lines() -> None:
    text = dump_yaml(load_bundled_template("tool_helper"))
    text = text.replace("pattern:\n  kind: two_agent", "pattern:\n  kind: circle")
    with pytest.raises(SpecError) as exc:
        load_template(text)
    (problem,) = exc.value.errors
    assert (problem.path, problem.line) == ("pattern.kind", _line_of(text, "kind: circle"))
    assert exc.value.text == text  # the text those lines are in

    with pytest.raises(SpecError) as exc:
        import_file(text.encode(), "mine.yaml")
    (problem,) = exc.value.errors
    assert (problem.source, problem.path, problem.line) == \
        ("mine.yaml", "pattern.kind", _line_of(text, "kind: circle"))
    assert str(problem).startswith("mine.yaml: pattern.kind: should be ")


def test_a_bundles_problems_are_on_the_lines_of_the_bundle() -> None:
    good = load_bundled_template("tool_helper").to_dict()
    bad = dict(good, name="Other", agents=[dict(good["agents"][0], name="a b")])
    text = json.dumps({"kind": "roundtable-bundle", "format": 1, "templates": [good, bad]},
                      indent=1)
    with pytest.raises(SpecError) as exc:
        import_file("\ufeff" + text, "all.json")  # a byte-order mark does not shift lines
    problem = next(p for p in exc.value.errors if p.path == "templates[1].agents[0].name")
    assert problem.source == "all.json"
    assert problem.line == _line_of(text, '"name": "a b"')
    assert exc.value.text == text


def test_a_files_syntax_error_keeps_its_line_and_the_text() -> None:
    text = "format: 1\nname: x\nagents:\n- name: critic: strict\n"
    with pytest.raises(SpecError) as exc:
        import_file(text, "broken.yaml")
    (problem,) = exc.value.problems
    assert (problem.source, problem.line, problem.column) == ("broken.yaml", 4, 15)
    assert is_syntax_error(problem)
    assert problem_lines(exc.value.problems, exc.value.text) == [
        "line 4, column 15: not valid YAML: mapping values are not allowed here (a value that "
        "holds ': ' needs quotes around it)",
        "    3 | agents:",
        "    4 | - name: critic: strict",
        "      |               ^",
    ]


def test_problem_lines_are_in_the_order_of_the_text_and_short() -> None:
    problems = [Problem("b", "late", line=9), Problem("", "no place"), Problem("a", "early",
                                                                              line=2)]
    assert problem_lines(problems) == ["line 2: a: early", "line 9: b: late", "no place"]
    many = [Problem(f"agents[{i}].name", "bad", line=i + 1) for i in range(25)]
    lines = problem_lines(many, limit=10)
    assert lines[:2] == ["line 1: agents[0].name: bad", "line 2: agents[1].name: bad"]
    assert len(lines) == 11 and lines[-1] == "... and 15 more problems"


def test_an_excerpt_shows_the_line_before_and_a_caret() -> None:
    text = "a: 1\n\tb: 2\nc: 3"
    assert text_excerpt(text, 2, 1) == "1 | a: 1\n2 | →b: 2\n  | ^"
    assert text_excerpt(text, 1) == "1 | a: 1"
    assert text_excerpt(text, 9, 1) == ""

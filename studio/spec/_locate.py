"""Where a problem is in a template's text: the line of the field its path points at, and
the text around it (for people: the Builder's text view, the Gallery's import, the CLI)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

from ._problems import SUMMARY_LIMIT, Problem


def locate_problems(text: str, problems: list[Problem]) -> list[Problem]:
    """``problems`` with ``line`` and ``column`` (from 1) set where the text shows their field.

    A field that is missing (``this field is required``) is placed on the mapping that
    lacks it; a path the text does not reach keeps no line. ``text`` must have parsed
    (:func:`studio.spec.parse_text`): composing it again is then safe and quick.
    """
    if not any(p.line is None and p.path for p in problems):
        return list(problems)
    try:
        root = yaml.compose(text, Loader=_COMPOSER)
    except (yaml.YAMLError, RecursionError):
        return list(problems)
    if root is None:
        return list(problems)
    located = []
    for problem in problems:
        mark = _mark_of(root, problem.path) if problem.line is None and problem.path else None
        located.append(problem if mark is None else dataclasses.replace(
            problem, line=mark.line + 1, column=mark.column + 1))
    return located


# libyaml's composer when PyYAML has it (its nodes carry the same marks)
_COMPOSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mark_of(root: yaml.Node, path: str) -> Any:
    """The mark of the node ``path`` names, or of the nearest node on the way there."""
    node, mark, rest = root, root.start_mark, path
    while rest:
        if isinstance(node, yaml.SequenceNode):
            step = re.match(r"\[(\d+)\]", rest)
            if step is None or int(step.group(1)) >= len(node.value):
                return mark
            node = node.value[int(step.group(1))]
            mark, rest = node.start_mark, rest[step.end():]
        elif isinstance(node, yaml.MappingNode):
            rest = rest.removeprefix(".")
            # the longest key that starts the rest of the path (a model's key may hold dots)
            matches = [(k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
                       and rest.startswith(k.value)
                       and rest[len(k.value):len(k.value) + 1] in ("", ".", "[")]
            if not matches:
                return mark
            key, node = max(matches, key=lambda kv: len(kv[0].value))
            mark, rest = key.start_mark, rest[len(key.value):]
        else:
            return mark
    return mark


# -- showing where: a syntax error's own words, the lines around a place, a terminal's list ----
_HINTS = [
    ("found character '\\t'", "YAML is indented with spaces, not tabs"),
    ("mapping values are not allowed here", "a value that holds ': ' needs quotes around it"),
    ("could not find expected ':'", "each setting is written 'name: value'"),
    ("expected <block end>", "this line is not lined up with the lines of its level"),
]


def is_syntax_error(problem: Problem) -> bool:
    """Whether ``problem`` says the text does not parse (it then carries a line)."""
    return problem.message.startswith("not valid YAML/JSON") and problem.line is not None


def text_format(text: str | None) -> str:
    """What a template's text is written in, as people call it: JSON when it starts with a
    brace or a bracket (it is read as YAML, of which JSON is a part), else YAML."""
    return "JSON" if (text or "").lstrip().startswith(("{", "[")) else "YAML"


def syntax_detail(problem: Problem) -> str:
    """A syntax error's own words without its place, with a hint when one is known:
    ``mapping values are not allowed here (a value that holds ': ' needs quotes ...)``."""
    detail = problem.message.partition("): ")[2] or problem.message
    hint = next((h for key, h in _HINTS if key in detail), "")
    return detail + (f" ({hint})" if hint else "")


def text_excerpt(text: str, line: int, column: int | None = None) -> str:
    """Line ``line`` of ``text`` (from 1) and the one before it (often the culprit: an
    unclosed bracket is reported on the next line), numbered, with a caret under
    ``column``; "" when the text has no such line."""
    rows = text.split("\n")
    if not 0 < line <= len(rows):
        return ""
    width = len(str(line))
    shown = [f"{n:>{width}} | {rows[n - 1].replace(chr(9), '→')[:120]}"
             for n in range(max(1, line - 1), line + 1)]
    if column:
        shown.append(f"{' ' * width} | {' ' * (column - 1)}^")
    return "\n".join(shown)


def problem_lines(problems: list[Problem], text: str | None = None, *,
                  limit: int = SUMMARY_LIMIT) -> list[str]:
    """``problems`` for a terminal, in the order of their lines: ``line 12: agents[1].model:
    message``; a syntax error says its column and is followed by the lines of ``text`` it
    is on, caret included. The first ``limit``, then how many more. Sources (file names)
    are left to the caller to say once."""
    ordered = sorted(problems, key=lambda p: p.line if p.line is not None else float("inf"))
    lines = []
    for problem in ordered[:limit]:
        if is_syntax_error(problem):
            lines.append(f"line {problem.line}, column {problem.column}: not valid "
                         f"{text_format(text)}: {syntax_detail(problem)}")
            if text is not None and problem.line is not None:
                lines += ["    " + row for row in
                          text_excerpt(text, problem.line, problem.column).split("\n")]
            continue
        at = f"line {problem.line}: " if problem.line is not None else ""
        lines.append(at + ": ".join(part for part in (problem.path, problem.message) if part))
    more = len(ordered) - limit
    if more > 0:
        lines.append(f"... and {more:,} more problem{'s' if more != 1 else ''}")
    return lines

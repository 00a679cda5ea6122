"""Where a problem is in a template's text: the line of the field its path points at."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import yaml

from ._problems import Problem


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

"""Every problem of a template at once, even when its shape is wrong.

A template whose shape pydantic refuses (a misspelt field, a value of the wrong type) is
still checked for everything else: a working copy reads each misspelt key as the field it
was meant to be, leaves out unknown keys and values it cannot read (a field with a default
takes it; a required text gets a stand-in), and the cross-reference checks run on that
copy. What a stand-in could make them say wrongly is not reported: nothing under a mapping
that was patched, nothing when a name other parts refer to (an agent's, a tool's, the
pattern's kind) could not be read. The template itself stays invalid: every shape problem
is reported, so nothing is saved until it is fixed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from ._fields import field_default, model_at, respell
from ._models import TemplateSpec
from ._problems import Problem, _agent_of, format_path, parse_path, shape_errors, value_at

MAX_ROUNDS = 8  # a fix can only reveal errors nested under what it fixed
Renames = dict[tuple[Any, ...], tuple[str, str]]
Untrusted = tuple[str, str]  # a path, and the start of the messages there not trusted ("": all)


def every_problem(doc: dict[str, Any], check: Callable[[TemplateSpec], list[Problem]]
                  ) -> list[Problem]:
    """The shape problems of ``doc`` (which pydantic refuses), then what ``check`` finds
    in its working copy (see the module), each with its path as ``doc`` writes it."""
    renames: Renames = {}
    work = respell(doc, renames)
    problems = [_misspelt(work, parent, field, written, renames)
                for (*parent, field), (_, written) in renames.items()]
    patched: list[Untrusted] = []  # what the checks may say wrongly of the working copy
    spec: TemplateSpec | None = None
    trusted = True
    for _ in range(MAX_ROUNDS):
        try:
            spec = TemplateSpec.model_validate(work)
            break
        except ValidationError as exc:
            errors = shape_errors(exc, work)
        for loc, kind, problem in errors:
            problems.append(dataclasses.replace(problem, path=_written(loc, renames)))
            if not trusted:
                continue
            if kind == "extra_forbidden":
                owner = value_at(work, loc[:-1])
                if isinstance(owner, dict):
                    owner.pop(loc[-1], None)
                continue
            untrusted = _patch(work, loc)
            if untrusted is None:
                trusted = False
            else:
                patched += untrusted
        if not trusted:
            break
    if trusted and spec is not None:
        for problem in check(spec):
            if patched and _untrusted(problem, patched):
                continue
            problems.append(dataclasses.replace(
                problem, path=_written(parse_path(problem.path), renames)))
    unique = {(p.path, p.message): p for p in reversed(problems)}  # the first of each kept
    return list(reversed(unique.values()))


def _misspelt(work: Any, parent: list[Any], field: str, written: str, renames: Renames
              ) -> Problem:
    agent, name = _agent_of(work, [*parent, written])
    return Problem(_written([*parent, field], renames), f"unknown field {written!r}; did you mean {field!r}?",
                   agent=agent, field=name)


def _patch(work: dict[str, Any], loc: list[Any]) -> list[Untrusted] | None:
    """Make the field of the error at ``loc`` readable (its default, or a stand-in); what
    the checks may then say wrongly, or None when it cannot (or must not) be patched."""
    for cut in range(len(loc) - 1, -1, -1):  # the innermost mapping of the format
        owner = loc[:cut]
        if model_at(owner) is not None and isinstance(value_at(work, owner), dict):
            break
    else:
        return None
    name = loc[cut]
    if not isinstance(name, str) or _vital(owner, name):
        return None
    optional, stand_in = field_default(owner, name)
    mapping = value_at(work, owner)
    if optional:
        mapping.pop(name, None)
    elif stand_in is not None:
        mapping[name] = stand_in
    else:
        return None
    field = format_path([*owner, name])
    if owner[:1] == ["agents"] and len(owner) == 2:  # an agent's checks are field by field
        at = format_path(owner)
        return [(field, "")] + ([(f"{at}.retrieval", ""), (f"{at}.model", "an assistant needs")]
                                if name == "kind" else [])
    if owner[:1] == ["pattern"]:  # the order of chats, the starter: the whole pattern
        return [("pattern", "")]
    return [(format_path(owner) if owner else field, "")]


def _vital(owner: list[Any], name: str) -> bool:
    """A field other parts refer to: guessing it would make the checks say wrong things."""
    if not owner:
        return name in ("agents", "models", "tools", "pattern")
    if owner == ["pattern"]:
        return name == "kind"
    if len(owner) == 2 and owner[0] == "agents":
        return name in ("name", "tools", "execute_tools")
    return len(owner) == 2 and owner[0] == "tools" and name == "name"


def _untrusted(problem: Problem, patched: list[Untrusted]) -> bool:
    if problem.message.startswith("no edge reaches"):  # any patch may hide an edge
        return True
    path = problem.path
    return any((path == p or path.startswith((p + ".", p + "[")))
               and problem.message.startswith(start) for p, start in patched)


def _written(loc: list[Any], renames: Renames) -> str:
    """A path of the working copy as the template writes it (its misspelt keys)."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        renamed = renames.get((*loc[:i], part)) if isinstance(part, str) else None
        out.append(renamed[1] if renamed else part)
    return format_path(out)

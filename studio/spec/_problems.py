"""Problems found in a template, and the error that carries them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

Severity = Literal["error", "warning"]
MAX_MESSAGE = 240  # characters of one problem's message


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a template.

    ``path`` points at the field (``agents[2].tools[0]``); ``agent`` and ``field`` name
    the agent and its field when the problem concerns one, so the Builder can show it
    on that node. ``line`` and ``column`` (from 1) say where it is in the template's text
    when that is known (see :func:`locate_problems`); ``source`` names the file it is in
    (``backup.json``) when it came from one. Warnings do not stop a template from loading.
    """

    path: str
    message: str
    agent: str | None = None
    field: str | None = None
    severity: Severity = "error"
    line: int | None = None
    column: int | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:  # a value quoted in full can be megabytes long
            object.__setattr__(self, "message", self.message[:MAX_MESSAGE - 3] + "...")

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.path, self.message) if part)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "agent": self.agent,
                "field": self.field, "severity": self.severity, "line": self.line,
                "column": self.column, "source": self.source}


SUMMARY_LIMIT = 10  # problems shown before "... and N more"


def summarise(problems: list[Problem] | list[str], limit: int = SUMMARY_LIMIT) -> list[str]:
    """The first ``limit`` problems as text, then one line saying how many more there are."""
    lines = [str(p) for p in problems[:limit]]
    more = len(problems) - limit
    if more > 0:
        lines.append(f"... and {more:,} more problem{'s' if more != 1 else ''}")
    return lines


class SpecError(ValueError):
    """A template is not valid. ``problems`` lists every error (and warning) found; the
    message shows the first :data:`SUMMARY_LIMIT` of them. ``text``: the template's text
    the problems' lines are in, when it was read from text (for showing those lines)."""

    def __init__(self, problems: list[Problem], *, text: str | None = None) -> None:
        self.problems = list(problems)
        self.text = text
        errors = [p for p in self.problems if p.severity == "error"] or self.problems
        lines = "\n".join(f"  {line}" for line in summarise(errors))
        super().__init__(f"the template has {len(errors):,} problem(s):\n{lines}")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


_UNION_TAGS = {"str", "int", "float", "bool", "ModelConfig", "ToolSpec", "function-after",
               "function-before", "list[DemoToolCall]", "none"}


def problems_from_validation(exc: ValidationError, doc: Any) -> list[Problem]:
    """Turn pydantic's errors into problems with template paths, one per place."""
    return [problem for _, _, problem in shape_errors(exc, doc)]


def shape_errors(exc: ValidationError, doc: Any) -> list[tuple[list[Any], str, Problem]]:
    """pydantic's errors as ``(loc, error type, problem)``, one per place; ``loc`` is the
    path in ``doc`` (keys and indexes)."""
    from ._fields import SECRET_KEYS, closest_field

    seen: dict[str, tuple[list[Any], str, Problem]] = {}
    for err in exc.errors():
        raw_loc = list(err["loc"])
        tag_at = next((i for i, p in enumerate(raw_loc) if isinstance(p, str) and p in _UNION_TAGS),
                      None)
        loc = [p for p in raw_loc if not (isinstance(p, str) and p in _UNION_TAGS)]
        value = value_at(doc, loc)
        if tag_at is not None:
            # In a `str | Model` union, report only the branch matching what was written.
            branch, written = raw_loc[tag_at], value_at(doc, raw_loc[:tag_at])
            if branch == "str" and isinstance(written, dict):
                continue
            if branch != "str" and isinstance(written, str):
                continue
        if err["type"] == "extra_forbidden":
            name = loc[-1]
            message = f"unknown field {name!r}"
            close = closest_field(name, loc[:-1]) if isinstance(name, str) else None
            if close:
                message += f"; did you mean {close!r}?"
            if name in SECRET_KEYS:
                message = ("API keys are never stored in a template: name an environment variable "
                           "with api_key_env or a stored secret with api_key_secret")
        elif err["type"] == "missing":
            message = "this field is required"
        else:
            message = err["msg"]
            if message.startswith("Input should be"):
                message = "should be" + message[len("Input should be"):]
                if value is not None and not isinstance(value, (dict, list)):
                    shown = repr(value)
                    message += f" (got {shown if len(shown) <= 80 else shown[:77] + '...'})"
        path = format_path(loc)
        agent, field = _agent_of(doc, loc)
        key = f"{path}|{message}"
        if key not in seen:
            seen[key] = (loc, err["type"], Problem(path, message, agent=agent, field=field))
    return list(seen.values())


def format_path(loc: list[Any] | tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_path(path: str) -> list[str | int]:
    """The keys and indexes of a path (``agents[2].tools[0]`` -> ``["agents", 2, "tools", 0]``)."""
    return [int(i) if i else key for i, key in re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)]


def value_at(doc: Any, loc: list[Any]) -> Any:
    """What a template's plain data holds at ``loc`` (keys and indexes), or None."""
    current = doc
    for part in loc:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _agent_of(doc: Any, loc: list[Any]) -> tuple[str | None, str | None]:
    if len(loc) >= 2 and loc[0] == "agents" and isinstance(loc[1], int):
        agent = value_at(doc, ["agents", loc[1], "name"])
        field = str(loc[2]) if len(loc) >= 3 else None
        return (agent if isinstance(agent, str) else None), field
    return None, None

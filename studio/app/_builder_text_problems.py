"""The text view's problems in the Builder's words. No Streamlit here.

Validation names a field by its path in the template (``agents[2].model``); a person who
pasted a team reads instead where the Builder shows that field (``Agent “critic” › Model``,
with the forms' own labels), what is wrong with it, and the line of the text it is on.
The path stays, small, for people who write YAML by hand.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.spec import (
    Problem,
    Registry,
    SpecError,
    canonical_parts,
    closest_field,
    fields_at,
    is_syntax_error,
    locate_problems,
    parse_path,
    parse_text,
    respell,
    syntax_detail,
    text_excerpt,
    text_format,
    value_at,
)

from ._builder_words import (
    AGENT_LABELS,
    ASKS_YOU,
    CODE_LABELS,
    EDGE_LABELS,
    GROUP_LABELS,
    HANDS_ON,
    KIND_LABELS,
    NESTED_LABELS,
    PANELS,
    PATTERN_LABELS,
    PATTERNS,
    RETRIEVAL_LABELS,
    SETTINGS_LABELS,
    TEMPLATE_LABELS,
    TERMINATION_LABELS,
    WHO_NEXT,
)
from ._markdown import literal

SEPARATOR = " › "  # between the parts of a place ("→" is an arrow of the canvas)


@dataclass(frozen=True)
class TextProblem:
    """One problem of the text: ``where`` (the Builder's words; empty for the whole text),
    ``message``, the raw ``path``, and the ``line``/``column`` (from 1) when known.
    ``excerpt`` shows a syntax error's line with a caret under the column."""

    where: str
    message: str
    path: str = ""
    line: int | None = None
    column: int | None = None
    excerpt: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        at = f"Line {self.line}: " if self.line else ""
        place = f"{self.where}: " if self.where else ""
        raw = f" ({self.path})" if self.path else ""
        return f"{at}{place}{self.message}{raw}"

    def markdown(self) -> str:
        """One list item: the line in bold, the place, the message, the path small."""
        at = f"**Line {self.line}** · " if self.line and self.where else ""
        place = f"{literal(self.where)}: " if self.where else ""
        raw = f" :small[`{self.path}`]" if self.path else ""
        item = f"- {at}{place}{literal(self.message)}{raw}"
        if self.excerpt:
            item += "\n\n  ```text\n" + "".join(f"  {row}\n" for row in self.excerpt.split("\n"))
            item += "  ```"
        return item

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "message": self.message, "path": self.path,
                "line": self.line, "column": self.column, "excerpt": self.excerpt,
                "severity": self.severity}


def explain(problems: Iterable[Problem], text: str, *, tools: Iterable[str] = (),
            registry: Registry | None = None, what: str = "text") -> list[TextProblem]:
    """``problems`` of ``text`` (from :func:`parse_text` or :func:`validate`) as the text
    view shows them, in the order of their lines; ``registry``: the models and tools this
    person can pick (``tools``: the tools' names, when there is no registry); ``what`` the
    text is to the person (the Gallery's import: "file")."""
    problems = list(problems)
    try:
        doc: Any = parse_text(text)
    except SpecError:
        doc = None
    else:
        problems = locate_problems(text, problems)
    known = _Known(sorted(registry.tools if registry is not None else tools), registry)
    explained = [_explain(p, doc, text, known, what) for p in problems]
    return sorted(explained, key=lambda p: p.line if p.line is not None else float("inf"))


@dataclass(frozen=True)
class _Known:
    """What a name in the text can be: the tools, and the models of the picker."""

    tools: list[str]
    registry: Registry | None
    respelt: dict[int, Any] = dataclasses.field(default_factory=dict)  # by id() of the doc

    def respell(self, doc: Any) -> Any:
        """``doc`` with its misspelt keys read as the fields they were meant to be."""
        if id(doc) not in self.respelt:
            self.respelt[id(doc)] = (doc, respell(doc))  # the doc is kept: its id stays its own
        return self.respelt[id(doc)][1]


def _explain(problem: Problem, doc: Any, text: str, known: _Known, what: str
             ) -> TextProblem:
    if is_syntax_error(problem):
        return _syntax(problem, text, what)
    template, written, doc = _in_bundle(parse_path(problem.path), doc)
    # a misspelt key is read as the field it was meant to be (its own problem names it)
    last = written[-1:] if problem.message.startswith("unknown field ") else []
    parts = [*canonical_parts(written[:len(written) - len(last)]), *last]
    doc = known.respell(doc)
    where = SEPARATOR.join(crumb for crumb in (template, _where(parts, doc)) if crumb)
    message = _say(problem.message, parts, doc, known)
    if not where:
        message = message[:1].upper() + message[1:]
    return TextProblem(where, message, problem.path, problem.line, problem.column,
                       severity=problem.severity)


def _in_bundle(parts: list[str | int], doc: Any) -> tuple[str, list[str | int], Any]:
    """For a problem of one template of a bundle file (``templates[1].agents[0].model``, or
    ``[1]...`` in a list of templates): that template's name, the path in it and its data;
    else ``("", parts, doc)``."""
    if isinstance(doc, dict) and "templates" in doc and parts[:1] == ["templates"] \
            and parts[1:] and isinstance(parts[1], int):
        index, parts = parts[1], parts[2:]
        inner = value_at(doc, ["templates", index])
    elif isinstance(doc, list) and parts and isinstance(parts[0], int):
        index, parts = parts[0], parts[1:]
        inner = value_at(doc, [index])
    else:
        return "", parts, doc
    name = value_at(inner, ["name"])
    named = f"Template “{name}”" if isinstance(name, str) and name.strip() else \
        f"Template #{index + 1}"
    return named, parts, inner


# -- where: the Builder's place for a field path ------------------------------------------------
Tree = tuple[Mapping[str, str], Mapping[str, Any]]  # labels of a level, subtrees by field
_AGENT: Tree = (AGENT_LABELS, {"termination": (TERMINATION_LABELS, {}),
                               "code_execution": (CODE_LABELS, {}),
                               "retrieval": (RETRIEVAL_LABELS, {}),
                               "nested_chats": (NESTED_LABELS, {}),
                               "model_settings": (SETTINGS_LABELS, {})})
_EDGE: Tree = ({**EDGE_LABELS, "source": "From", "target": "To"}, {})
_PATTERN: Tree = ({**PATTERN_LABELS, "group": ""},  # group settings have no heading of their own
                  {"group": (GROUP_LABELS, {})})


def _where(parts: list[str | int], doc: Any) -> str:
    if not parts:
        return ""
    head, rest = parts[0], parts[1:]
    if head == "agents" and rest and isinstance(rest[0], int):
        crumbs = [_agent(doc, rest[0]), *_fields(rest[1:], _AGENT)]
    elif head == "pattern" and rest[:1] == ["edges"] and rest[1:] and isinstance(rest[1], int):
        crumbs = [PANELS["pattern"], _edge(doc, rest[1]), *_fields(rest[2:], _EDGE)]
    elif head == "pattern":
        crumbs = [PANELS["pattern"], *_fields(rest, _PATTERN)]
    elif head == "sample_tasks":
        crumbs = [PANELS["pattern"], *_fields(parts, (TEMPLATE_LABELS, {}))]
    elif head in TEMPLATE_LABELS:
        crumbs = _fields(parts, (TEMPLATE_LABELS, {}))
    elif head == "agents":
        crumbs = ["Agents", *_fields(rest, _AGENT)]
    else:  # models, tools, demo_scripts, layout: only the text view edits them
        crumbs = [str(head).replace("_", " ").capitalize(), *_fields(rest, ({}, {}))]
    return SEPARATOR.join(crumbs)


def _fields(parts: list[str | int], tree: Tree) -> list[str]:
    crumbs: list[str] = []
    labels, subtrees = tree
    for part in parts:
        if isinstance(part, int):
            crumbs[-1:] = [f"{crumbs[-1]} #{part + 1}" if crumbs else f"#{part + 1}"]
            continue
        label = labels.get(part, part)
        if label:
            crumbs.append(_short(label))
        labels, subtrees = subtrees.get(part, ({}, {}))
    return crumbs


def _short(label: str) -> str:
    """A form's label without its parenthesised note: "Timeout (s)" -> "Timeout"."""
    return re.sub(r"\s*\(.*\)$", "", label) or label


def _agent(doc: Any, index: int) -> str:
    name = value_at(doc, ["agents", index, "name"])
    if isinstance(name, str) and name.strip():
        return f"Agent “{name}”"
    return f"Agent #{index + 1} (no name)"


def _edge(doc: Any, index: int) -> str:
    source, target = (value_at(doc, ["pattern", "edges", index, end]) for end in ("source",
                                                                                 "target"))
    if isinstance(source, str) and isinstance(target, str):
        return f"Connection {source} → {target}"
    return f"Connection #{index + 1}"


# -- what: the message in the Builder's words ---------------------------------------------------
_CHOICES: dict[tuple[str, ...], Mapping[str, str]] = {
    ("agents", "kind"): KIND_LABELS, ("agents", "human_input"): ASKS_YOU,
    ("pattern", "kind"): PATTERNS, ("pattern", "group", "speaker_selection"): WHO_NEXT,
    ("pattern", "summary_method"): HANDS_ON, ("pattern", "edges", "summary_method"): HANDS_ON,
    ("agents", "nested_chats", "summary_method"): HANDS_ON,
}
_TYPES = [
    (r"should be a valid integer(, unable to parse string as an integer)?", "should be a whole "
     "number"),
    (r"should be a valid number(, unable to parse string as a number)?", "should be a number"),
    (r"should be a valid string", "should be text"),
    (r"should be a valid boolean(, unable to interpret input)?", "should be true or false"),
    (r"should be a valid list", "should be a list (lines that start with '- ')"),
    (r"should be a valid dictionary( or instance of \w+)?", "should be a mapping (lines of "
     "'name: value')"),
]


def _say(message: str, parts: list[str | int], doc: Any, known: _Known) -> str:
    found = re.match(r"unknown model '(.+?)'(?:; did you mean '(.+?)'\?)?; models you can "
                     r"choose: (.*?)(?:; or describe the model inline .*)?$", message)
    if found:
        own = parts[:1] != ["models"]  # a template's model names a preset or one of yours
        close = f": did you mean '{found[2]}'?" if found[2] else "."
        inline = "" if own else ", describe the model here (provider, model, base_url)"
        return (f"'{found[1]}' is not one of the models you can pick{close} The Model list "
                f"offers {_pickable(doc, known.registry, own) or found[3]}. Pick one of "
                f"those{inline} or add a model on the Models page.")
    found = re.fullmatch(r"unknown agent '(.+?)'", message)
    if found:
        names = [a["name"] for a in value_at(doc, ["agents"]) or []
                 if isinstance(a, dict) and isinstance(a.get("name"), str)]
        listed = f" (its agents: {', '.join(names)})" if names else " (it has no agents yet)"
        return f"'{found[1]}' is not an agent of this team{listed}"
    found = re.fullmatch(r"unknown tool '(.+?)'", message)
    if found:
        tools = f" (known: {', '.join(known.tools)})" if known.tools else ""
        return f"'{found[1]}' is not a tool this studio knows{tools}"
    found = re.fullmatch(r"unknown field '(.+?)'(?:; did you mean '.+?'\?)?", message)
    if found and parts:
        return _unknown_field(found[1], parts[:-1], doc)
    if message == "this field is required":
        return "required, but missing"
    if re.fullmatch(r"no edge reaches agent '.+?': connect it or remove it", message):
        return ("no connection reaches this agent: add an edge to it (pattern › edges), or "
                "remove the agent")
    got = value_at(doc, parts)
    choices = _CHOICES.get(tuple(p for p in parts if isinstance(p, str)))
    if choices and message.startswith("should be '"):
        listed = ", ".join(f"'{k}'" + (f" ({v})" if v.lower() != k else "")
                           for k, v in choices.items() if k)
        said = f"{got!r} is not one of the choices" if isinstance(got, str) else "choose one"
        return f"{said}: {listed}"
    for pattern, plain in _TYPES:
        message = re.sub(pattern, plain, message)
    return message


def _pickable(doc: Any, registry: Registry | None, own: bool) -> str:
    """The models of the Builder's model picker, by where they come from: ``this template's
    main; built in: demo, local, ...; added on the Models page: mine`` ("" without a
    registry)."""
    if registry is None:
        return ""
    models = value_at(doc, ["models"])
    mine = [k for k in models if isinstance(k, str)] if own and isinstance(models, dict) else []
    bundled = [n for n, m in registry.models.items() if n not in mine and m.origin == "bundled"]
    added = [n for n, m in registry.models.items() if n not in mine and m.origin != "bundled"]
    groups = [("this template's ", mine), ("built in: ", bundled),
              ("added on the Models page: ", added)]
    return "; ".join(head + ", ".join(names) for head, names in groups if names)


def _unknown_field(name: str, parent: list[str | int], doc: Any) -> str:
    fields = fields_at(parent)
    close = closest_field(name, parent)
    if close:
        label = _where([*parent, close], doc).split(SEPARATOR)[-1]
        named = f" ({label})" if label != close else ""
        return f"'{name}' is not a setting here; did you mean '{close}'{named}?"
    known = f" (settings here: {', '.join(fields)})" if fields else ""
    return f"'{name}' is not a setting here{known}"


# -- a syntax error: where, in words, and the line itself ----------------------------------------
def _syntax(problem: Problem, text: str, what: str) -> TextProblem:
    line, column = problem.line or 1, problem.column or 1
    message = (f"The {what} is not valid {text_format(text)} at line {line}, column {column}: "
               f"{syntax_detail(problem)}")
    return TextProblem("", message, "", line, column, text_excerpt(text, line, column))

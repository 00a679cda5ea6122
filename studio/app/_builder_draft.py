"""The Builder's editing operations on a template draft (pure: no Streamlit, no store).

Every operation takes a :class:`TemplateSpec` and returns a new one, so the page can keep
the draft in session state and replace it whole. Operations keep the template's cross
references consistent (renaming an agent renames its edges, starter, nested chats, demo
turns and layout); whatever is still wrong is for :func:`studio.spec.validate` to report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from studio.spec import (
    AgentPreset,
    AgentSpec,
    EdgeSpec,
    PatternKind,
    PatternSpec,
    Position,
    Problem,
    TemplateSpec,
    sequence_edges,
)

DEFAULT_MODEL_KEY = "main"
_SLUG = re.compile(r"[^a-zA-Z0-9_-]+")


def new_team(name: str = "My team") -> TemplateSpec:
    """An empty canvas: a group chat whose agents will use the offline Demo model."""
    return TemplateSpec(name=name, models={DEFAULT_MODEL_KEY: "demo"},
                        pattern=PatternSpec(kind=PatternKind.GROUP))


def _doc(spec: TemplateSpec) -> dict[str, Any]:
    return spec.model_dump(mode="json")


def _spec(doc: dict[str, Any]) -> TemplateSpec:
    return TemplateSpec.model_validate(doc)


def unique_name(base: str, taken: Iterable[str]) -> str:
    """``base`` made a valid agent name, with ``_2``, ``_3``... if it is taken."""
    taken = set(taken)
    stem = _SLUG.sub("_", base.strip()).strip("_")[:60] or "agent"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}_{n}", n + 1
    return name


def default_model(spec: TemplateSpec) -> str:
    """The model a new assistant gets: the template's first model, else the Demo model."""
    return next(iter(spec.models), "demo")


def add_agent(spec: TemplateSpec, preset: AgentPreset, *, position: tuple[float, float] | None = None
              ) -> tuple[TemplateSpec, str]:
    """Drop a preset onto the canvas under a unique name; returns the new draft and the name."""
    doc = _doc(spec)
    name = unique_name(preset.name, spec.agent_names)
    agent = {**preset.agent, "name": name}
    if agent.get("kind", "assistant") == "assistant" and not agent.get("model"):
        agent["model"] = default_model(spec)
    doc["agents"].append(AgentSpec.model_validate(agent).model_dump(mode="json"))
    if position is None:
        count = len(spec.agents)
        position = grid_position(count)
    doc["layout"][name] = {"x": position[0], "y": position[1]}
    return _spec(doc), name


def grid_position(index: int) -> tuple[float, float]:
    """Where the ``index``-th agent goes when it has no position: three to a row."""
    column, row = index % 3, index // 3
    return (60.0 + 150.0 * column + 30.0 * (row % 2),
            30.0 + 190.0 * row + (90.0 if column == 1 else 0.0))


def update_agent(spec: TemplateSpec, index: int, **changes: Any) -> TemplateSpec:
    """Set fields of agent ``index`` (a ``name`` change is a :func:`rename_agent`)."""
    if "name" in changes:
        spec = rename_agent(spec, index, changes.pop("name"))
    if not changes:
        return spec
    doc = _doc(spec)
    agent = {**doc["agents"][index], **changes}
    doc["agents"][index] = AgentSpec.model_validate(agent).model_dump(mode="json")
    return _spec(doc)


def rename_agent(spec: TemplateSpec, index: int, new_name: str) -> TemplateSpec:
    """Rename agent ``index``. References follow unless another agent already has the name
    (then only this agent changes, and validation reports the duplicate)."""
    doc = _doc(spec)
    old = doc["agents"][index]["name"]
    doc["agents"][index]["name"] = new_name
    others = [a.name for i, a in enumerate(spec.agents) if i != index]
    if old in others:
        # It was a duplicate: its references were left under the name it had before.
        orphans = _referenced(spec) - set(spec.agent_names)
        if len(orphans) != 1:
            return _spec(doc)
        old = orphans.pop()
    if new_name == old or new_name in others:
        return _spec(doc)
    pattern = doc["pattern"]
    if pattern.get("starter") == old:
        pattern["starter"] = new_name
    for edge in pattern["edges"]:
        for end in ("source", "target"):
            if edge[end] == old:
                edge[end] = new_name
    for agent in doc["agents"]:
        for nested in agent["nested_chats"]:
            if nested["recipient"] == old:
                nested["recipient"] = new_name
        clearance = (agent.get("code_execution") or {}).get("cleared_by") or {}
        if clearance.get("agent") == old:
            clearance["agent"] = new_name
    for script in doc["demo_scripts"]:
        for turn in script["turns"]:
            if turn["agent"] == old:
                turn["agent"] = new_name
    if old in doc["layout"]:
        doc["layout"][new_name] = doc["layout"].pop(old)
    return _spec(doc)


def _referenced(spec: TemplateSpec) -> set[str]:
    """Agent names the pattern, nested chats and layout refer to."""
    names = {e.source for e in spec.pattern.edges} | {e.target for e in spec.pattern.edges}
    names |= {n.recipient for a in spec.agents for n in a.nested_chats} | set(spec.layout)
    names |= {a.code_execution.cleared_by.agent for a in spec.agents
              if a.code_execution and a.code_execution.cleared_by}
    if spec.pattern.starter:
        names.add(spec.pattern.starter)
    return names


def delete_agent(spec: TemplateSpec, index: int) -> TemplateSpec:
    """Remove agent ``index`` with its edges, nested chats to it, demo turns and position."""
    doc = _doc(spec)
    name = doc["agents"].pop(index)["name"]
    if name in {a["name"] for a in doc["agents"]}:
        return _spec(doc)  # a duplicate name remains: its references stay
    pattern = doc["pattern"]
    if pattern.get("starter") == name:
        pattern["starter"] = None
    pattern["edges"] = [e for e in pattern["edges"] if name not in (e["source"], e["target"])]
    for agent in doc["agents"]:
        agent["nested_chats"] = [n for n in agent["nested_chats"] if n["recipient"] != name]
    for script in doc["demo_scripts"]:
        script["turns"] = [t for t in script["turns"] if t["agent"] != name]
    doc["demo_scripts"] = [s for s in doc["demo_scripts"] if s["turns"]]
    doc["layout"].pop(name, None)
    return _spec(doc)


def add_edge(spec: TemplateSpec, source: str, target: str) -> TemplateSpec:
    """Connect two agents as the pattern reads it; a first edge also picks the starter.
    Outside a sequence, connecting two agents already connected changes nothing."""
    if spec.pattern.kind != PatternKind.SEQUENCE and any(
            (e.source, e.target) == (source, target) for e in spec.pattern.edges):
        return spec  # already connected: a second arrow would mean nothing more
    doc = _doc(spec)
    pattern = doc["pattern"]
    edge: dict[str, Any] = {"source": source, "target": target}
    if spec.pattern.kind == PatternKind.SEQUENCE:
        orders = [e.order if e.order is not None else k + 1 for k, e in enumerate(spec.pattern.edges)]
        edge["order"] = max(orders, default=0) + 1
    pattern["edges"].append(EdgeSpec.model_validate(edge).model_dump(mode="json"))
    if not pattern.get("starter") and spec.pattern.kind != PatternKind.SEQUENCE:
        pattern["starter"] = source
    return _spec(doc)


def remove_edge(spec: TemplateSpec, index: int) -> TemplateSpec:
    doc = _doc(spec)
    doc["pattern"]["edges"].pop(index)
    return _spec(doc)


def update_edge(spec: TemplateSpec, index: int, **changes: Any) -> TemplateSpec:
    doc = _doc(spec)
    edge = {**doc["pattern"]["edges"][index], **changes}
    doc["pattern"]["edges"][index] = EdgeSpec.model_validate(edge).model_dump(mode="json")
    return _spec(doc)


def update_pattern(spec: TemplateSpec, **changes: Any) -> TemplateSpec:
    """Set pattern fields; ``group`` takes a dict of group settings to merge."""
    doc = _doc(spec)
    pattern = doc["pattern"]
    group = changes.pop("group", None)
    pattern.update(changes)
    if group is not None:
        pattern["group"] = {**(pattern.get("group") or {}), **group}
    if pattern["kind"] != PatternKind.GROUP.value:
        pattern["group"] = None
    return _spec(doc)


def update_template(spec: TemplateSpec, **changes: Any) -> TemplateSpec:
    """Set top-level fields (name, description, tags, sample_tasks...)."""
    return _spec({**_doc(spec), **changes})


def set_positions(spec: TemplateSpec, positions: dict[str, tuple[float, float]]) -> TemplateSpec:
    doc = _doc(spec)
    for name, (x, y) in positions.items():
        doc["layout"][name] = Position(x=round(x, 1), y=round(y, 1)).model_dump()
    return _spec(doc)


def edge_labels(spec: TemplateSpec) -> list[str]:
    """The label each pattern edge shows on the canvas (same order as ``pattern.edges``)."""
    kind = spec.pattern.kind
    if kind == PatternKind.SEQUENCE:
        ordered = sequence_edges(spec)
        number = {id(edge): n for n, edge in enumerate(ordered, start=1)}
        return [str(number[id(e)]) for e in spec.pattern.edges]
    if kind == PatternKind.TWO_AGENT:
        return ["starts a chat with" for _ in spec.pattern.edges]
    return ["" for _ in spec.pattern.edges]


def problems_for_agent(problems: list[Problem], name: str, field: str | None = None,
                       ) -> list[Problem]:
    """Problems concerning agent ``name`` (and ``field``; ``""`` means "no field")."""
    found = [p for p in problems if p.agent == name]
    if field is None:
        return found
    return [p for p in found if (p.field or "") == field]


def pattern_problems(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.agent is None and p.path.startswith("pattern")]


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == "error"]


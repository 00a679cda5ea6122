"""Validation of a template: shape (pydantic) first, then every cross reference."""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ._models import NAME_PATTERN, AgentKind, ClearanceSpec, PatternKind, TemplateSpec, ToolSpec
from ._problems import Problem
from ._salvage import every_problem
from ._tool_source import check_tool_source

if TYPE_CHECKING:
    from .registry import Registry

_NAME_RE = re.compile(NAME_PATTERN)


def validate(doc: dict[str, Any] | TemplateSpec, *, registry: Registry) -> list[Problem]:
    """Every problem of the template (errors and warnings), each with its path."""
    if isinstance(doc, TemplateSpec):
        return check_spec(doc, registry=registry)
    if not isinstance(doc, dict):
        return [Problem("", "a template must be a mapping (YAML/JSON object) of fields")]
    if "format" in doc and doc["format"] != 1:
        return [Problem("format", f"unsupported template format {doc['format']!r}; this studio "
                                  "reads format 1")]
    too_big = _over_the_caps(doc)
    if too_big:
        return too_big
    try:
        spec = TemplateSpec.model_validate(doc)
    except ValidationError:
        # every problem at once: a typo must not hide the others until it is fixed
        return every_problem(doc, lambda spec: check_spec(spec, registry=registry))
    return check_spec(spec, registry=registry)


MAX_AGENTS = 100
MAX_TOOLS = 200
MAX_DOCUMENT_BYTES = 2_000_000  # the same cap as a template's text (spec._io)


def _over_the_caps(doc: dict[str, Any]) -> list[Problem]:
    """A template far past what a team is (10,000 agents) is refused with one problem
    naming the cap, not one problem per agent."""
    for key, cap in (("agents", MAX_AGENTS), ("tools", MAX_TOOLS)):
        items = doc.get(key)
        if isinstance(items, list) and len(items) > cap:
            return [Problem(key, f"a template has at most {cap} {key}; this one has "
                                 f"{len(items):,}")]
    try:
        size = len(json.dumps(doc, default=str))
    except (ValueError, TypeError, RecursionError):
        return [Problem("", "the template is not plain data (a cycle or a value that is not "
                            "text, a number, a list or a mapping)")]
    if size > MAX_DOCUMENT_BYTES:
        return [Problem("", f"the template is {size / 1_000_000:.1f} MB; a template is at most "
                            f"{MAX_DOCUMENT_BYTES / 1_000_000:g} MB")]
    return []


def check_spec(spec: TemplateSpec, *, registry: Registry) -> list[Problem]:
    return _Checker(spec, registry).run()


class _Checker:
    def __init__(self, spec: TemplateSpec, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self.problems: list[Problem] = []
        self.names = {a.name for a in spec.agents}
        self.tool_names = {t.name for t in spec.tools} | set(registry.tools)

    def add(self, path: str, message: str, *, agent: str | None = None, field: str | None = None,
            warning: bool = False) -> None:
        self.problems.append(Problem(path, message, agent=agent, field=field,
                                     severity="warning" if warning else "error"))

    def run(self) -> list[Problem]:
        self.check_models()
        self.check_tools()
        self.check_agents()
        self.check_pattern()
        self.check_demo_script()
        self.check_layout()
        if not self.spec.sample_tasks:
            self.add("sample_tasks", "add at least one sample task: the first is the default task",
                     warning=True)
        return self.problems

    # -- models ----------------------------------------------------------------------------
    def model_known(self, ref: str) -> bool:
        return ref in self.spec.models or ref in self.registry.models

    def check_models(self) -> None:
        for key, ref in self.spec.models.items():
            path = f"models.{key}"
            if isinstance(ref, str):
                if ref not in self.registry.models:
                    self.add(path, self.unknown_model(ref, own=False)
                             + "; or describe the model inline (provider, model, base_url)")
                continue
            if ref.preset is not None and ref.preset not in self.registry.models:
                self.add(f"{path}.preset", f"unknown model preset {ref.preset!r}")
            if ref.preset is None and ref.provider is None:
                self.add(path, "give a preset (e.g. openai, ollama) or a provider")
            needs_url = ref.preset is None and ref.provider in ("openai_compatible", "azure")
            if needs_url and not ref.base_url:
                self.add(f"{path}.base_url", f"a {ref.provider} model needs a base_url")

    def unknown_model(self, ref: str, *, own: bool = True) -> str:
        """``unknown model 'gpt5'; did you mean ...?; models you can choose: ...``: the
        template's own models (when ``own``), then the registry's, in the order the
        Builder's model picker lists them."""
        known = [*self.spec.models] if own else []
        known += [m for m in self.registry.models if m not in known]
        close = difflib.get_close_matches(ref, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return f"unknown model {ref!r}{hint}; models you can choose: {', '.join(known)}"

    def check_model_ref(self, ref: str, path: str, agent: str | None = None,
                        field: str | None = None) -> None:
        if not self.model_known(ref):
            self.add(path, self.unknown_model(ref), agent=agent, field=field)

    # -- tools -----------------------------------------------------------------------------
    def check_tools(self) -> None:
        seen: set[str] = set()
        for i, tool in enumerate(self.spec.tools):
            self.check_inline_tool(tool, f"tools[{i}]")
            if tool.name in seen:
                self.add(f"tools[{i}].name", f"duplicate tool name {tool.name!r}")
            seen.add(tool.name)

    def check_inline_tool(self, tool: ToolSpec, path: str, agent: str | None = None) -> None:
        problem = check_tool_source(tool.name, tool.source)
        if problem:
            field_path = f"{path}.name" if "tool name" in problem else f"{path}.source"
            self.add(field_path, problem, agent=agent, field="tools" if agent else None)

    # -- agents ----------------------------------------------------------------------------
    def check_agents(self) -> None:
        if not self.spec.agents:
            self.add("agents", "a team needs at least one agent")
        seen: set[str] = set()
        manager = self.group_manager_name()
        for i, agent in enumerate(self.spec.agents):
            path, name = f"agents[{i}]", agent.name
            if not _NAME_RE.match(name):
                self.add(f"{path}.name", f"agent name {name!r} must be 1-64 letters, digits, '_' "
                                         "or '-' (no spaces): the model API rejects other names",
                         agent=name, field="name")
            if name in seen:
                self.add(f"{path}.name", f"duplicate agent name {name!r}", agent=name, field="name")
            if manager is not None and name == manager:
                self.add(f"{path}.name", f"{name!r} is the group chat manager's name; rename one",
                         agent=name, field="name")
            seen.add(name)
            self.check_agent(i, agent)
        self.check_tool_executors()

    def check_agent(self, i: int, agent: Any) -> None:
        path, name = f"agents[{i}]", agent.name
        if agent.model is not None:
            self.check_model_ref(agent.model, f"{path}.model", name, "model")
        elif agent.kind == AgentKind.ASSISTANT:
            self.add(f"{path}.model", "an assistant needs a model (e.g. demo)", agent=name,
                     field="model")
        for j, tool in enumerate(agent.tools):
            if isinstance(tool, ToolSpec):
                self.check_inline_tool(tool, f"{path}.tools[{j}]", agent=name)
            elif tool not in self.tool_names:
                self.add(f"{path}.tools[{j}]", f"unknown tool {tool!r}", agent=name, field="tools")
        for j, tool_name in enumerate(agent.execute_tools):
            if tool_name not in self.tool_names | self.inline_agent_tools():
                self.add(f"{path}.execute_tools[{j}]", f"unknown tool {tool_name!r}", agent=name,
                         field="execute_tools")
        if agent.termination is not None and agent.termination.kind == "regex":
            try:
                re.compile(agent.termination.value)
            except re.error as exc:
                self.add(f"{path}.termination.value", f"not a valid regular expression: {exc}",
                         agent=name, field="termination")
        self.check_retrieval(path, agent)
        code = agent.code_execution
        if code is not None and code.image and code.executor != "docker":
            self.add(f"{path}.code_execution.image", "an image is only used by the docker "
                     "executor", agent=name, field="code_execution", warning=True)
        if code is not None and code.cleared_by is not None:
            self.check_clearance(code.cleared_by, f"{path}.code_execution.cleared_by", name)
        for j, nested in enumerate(agent.nested_chats):
            npath = f"{path}.nested_chats[{j}].recipient"
            if nested.recipient not in self.names:
                self.add(npath, f"unknown agent {nested.recipient!r}", agent=name,
                         field="nested_chats")
            elif nested.recipient == name:
                self.add(npath, "an agent cannot consult itself in a nested chat", agent=name,
                         field="nested_chats")

    def check_clearance(self, clearance: ClearanceSpec, path: str, name: str) -> None:
        """The reviewer that clears code must be another agent whose model has the check tool."""
        reviewer = next((a for a in self.spec.agents if a.name == clearance.agent), None)
        if reviewer is None:
            self.add(f"{path}.agent", f"unknown agent {clearance.agent!r}", agent=name,
                     field="code_execution")
        elif reviewer.name == name:
            self.add(f"{path}.agent", "an agent cannot clear its own code: name the safeguard",
                     agent=name, field="code_execution")
        elif clearance.tool not in {t if isinstance(t, str) else t.name for t in reviewer.tools}:
            self.add(f"{path}.tool", f"{reviewer.name!r} has no tool {clearance.tool!r} to check "
                     "code with: add it to its tools", agent=name, field="code_execution")

    def check_retrieval(self, path: str, agent: Any) -> None:
        name, retrieval = agent.name, agent.retrieval
        if agent.kind != AgentKind.RETRIEVE_USER_PROXY:
            if retrieval is not None:
                self.add(f"{path}.retrieval", "only a retrieval proxy uses documents; change "
                         "the kind to retrieve_user_proxy or remove them", agent=name,
                         field="retrieval", warning=True)
            return
        if retrieval is None or (not retrieval.collection and not retrieval.documents):
            self.add(f"{path}.retrieval", "a retrieval proxy needs documents: choose a document "
                     "collection or add documents", agent=name, field="retrieval")
            return
        sources = [d.source for d in retrieval.documents]
        for j, source in enumerate(sources):
            if sources.index(source) != j:
                self.add(f"{path}.retrieval.documents[{j}].source",
                         f"duplicate document name {source!r}", agent=name, field="retrieval")

    def check_tool_executors(self) -> None:
        """A tool the model calls is run by the agent answering it: someone else must have it."""
        for i, agent in enumerate(self.spec.agents):
            for j, tool in enumerate(agent.tools):
                name = tool if isinstance(tool, str) else tool.name
                if isinstance(tool, str) and name not in self.tool_names:
                    continue  # already reported as unknown
                others = [a for a in self.spec.agents if a.name != agent.name and (
                    name in a.execute_tools
                    or name in {t if isinstance(t, str) else t.name for t in a.tools})]
                if not others:
                    self.add(f"agents[{i}].tools[{j}]", f"no other agent executes tool {name!r}: "
                             "add it to execute_tools of the agent that answers "
                             f"{agent.name!r}", agent=agent.name, field="tools", warning=True)

    def inline_agent_tools(self) -> set[str]:
        return {t.name for a in self.spec.agents for t in a.tools if isinstance(t, ToolSpec)}

    def group_manager_name(self) -> str | None:
        pattern = self.spec.pattern
        if pattern.kind != PatternKind.GROUP:
            return None
        return pattern.group.manager_name if pattern.group else "chat_manager"

    # -- pattern ---------------------------------------------------------------------------
    def check_pattern(self) -> None:
        pattern = self.spec.pattern
        starter = pattern.starter
        if starter is None and pattern.kind != PatternKind.SEQUENCE:
            self.add("pattern.starter", "no starting agent: choose who sends the first message")
        elif starter is not None and starter not in self.names:
            self.add("pattern.starter", f"unknown agent {starter!r}", field="starter")
        for k, edge in enumerate(pattern.edges):
            for end in ("source", "target"):
                who = getattr(edge, end)
                if who not in self.names:
                    self.add(f"pattern.edges[{k}].{end}", f"unknown agent {who!r}")
            if edge.source == edge.target and pattern.kind != PatternKind.GROUP:
                self.add(f"pattern.edges[{k}]", "an agent cannot chat with itself")
        if "{task}" not in pattern.message and pattern.kind != PatternKind.SEQUENCE:
            self.add("pattern.message", "the first message does not use {task}: the task "
                     "typed by the user would be ignored", warning=True)
        {PatternKind.TWO_AGENT: self.check_two_agent, PatternKind.SEQUENCE: self.check_sequence,
         PatternKind.GROUP: self.check_group}[pattern.kind]()
        self.check_reachability()

    def check_two_agent(self) -> None:
        edges = self.spec.pattern.edges
        if len(edges) != 1:
            self.add("pattern.edges", "a two-agent chat needs exactly one edge: from the starter "
                     f"to the agent it talks to (found {len(edges)})")
        elif self.spec.pattern.starter and edges[0].source != self.spec.pattern.starter:
            self.add("pattern.edges[0].source", f"the chat must start from the starter "
                     f"{self.spec.pattern.starter!r}, not {edges[0].source!r}")
        self.check_no_group_settings()

    def check_sequence(self) -> None:
        pattern = self.spec.pattern
        if not pattern.edges:
            self.add("pattern.edges", "a sequence needs at least one edge (one chat each)")
            return
        orders: dict[int, int] = {}
        for k, edge in enumerate(pattern.edges):
            if edge.order is not None:
                if edge.order in orders:
                    self.add(f"pattern.edges[{k}].order", f"order {edge.order} is already used "
                             f"by pattern.edges[{orders[edge.order]}]")
                orders[edge.order] = k
        first = sequence_edges(self.spec)[0]
        if pattern.starter is not None and pattern.starter != first.source:
            self.add("pattern.starter", f"the first chat of the sequence is sent by "
                     f"{first.source!r}, not the starter {pattern.starter!r}")
        self.check_no_group_settings()

    def check_no_group_settings(self) -> None:
        if self.spec.pattern.group is not None:
            self.add("pattern.group", "group settings are only used by a group chat",
                     warning=True)

    def check_group(self) -> None:
        pattern, spec = self.spec.pattern, self.spec
        members = group_members(spec)
        if len(members) < 2:
            self.add("pattern.edges", f"a group chat needs at least 2 members, found "
                     f"{len(members)}: add edges between its agents")
        elif pattern.starter and not any(e.source == pattern.starter for e in pattern.edges):
            self.add("pattern.edges", f"no edge leaves the starter {pattern.starter!r}: nobody "
                     "may speak after the first message")
        for k, edge in enumerate(pattern.edges):
            used = [f for f in ("order", "message", "max_turns", "summary_method")
                    if getattr(edge, f) is not None]
            if used:
                self.add(f"pattern.edges[{k}]", f"{', '.join(used)} only apply to a sequence",
                         warning=True)
        group = pattern.group
        selection = group.speaker_selection if group else "auto"
        selector = group.selector_model if group else None
        if selector is not None:
            self.check_model_ref(selector, "pattern.group.selector_model")
        elif selection == "auto" and not any(spec.agent(m).model for m in members
                                             if m in self.names):
            self.add("pattern.group.selector_model", "auto speaker selection needs a model: set "
                     "selector_model or give an agent a model")

    def check_reachability(self) -> None:
        reached = reached_agents(self.spec)
        for i, agent in enumerate(self.spec.agents):
            if agent.name not in reached:
                self.add(f"agents[{i}]", f"no edge reaches agent {agent.name!r}: connect it or "
                         "remove it", agent=agent.name)

    # -- demo script and layout ----------------------------------------------------------------
    def check_demo_script(self) -> None:
        from studio.engine.models._demo_script import PLACEHOLDERS, placeholder_problems, task_key

        tools_of = {a.name: {t if isinstance(t, str) else t.name for t in a.tools}
                    for a in self.spec.agents}
        tasks: dict[str, int] = {}
        for k, script in enumerate(self.spec.demo_scripts):
            where = f"demo_scripts[{k}]"
            key = task_key(script.task) if script.task is not None else ""
            if script.task is not None and not script.task.strip():
                self.add(f"{where}.task", "write the task this script is for, or leave 'task' "
                         "out for the script played for any other task")
            elif key in tasks:
                self.add(f"{where}.task", f"demo_scripts[{tasks[key]}] is already for "
                         + ("this task" if script.task is not None else "any other task"))
            tasks.setdefault(key, k)
            if not script.turns:
                self.add(f"{where}.turns", "a script needs at least one turn")
            for i, turn in enumerate(script.turns):
                path = f"{where}.turns[{i}]"
                if turn.agent not in self.names:
                    self.add(f"{path}.agent", f"unknown agent {turn.agent!r}")
                if not (turn.content or "").strip() and not turn.tool_calls:
                    self.add(path, "a turn needs non-empty content or tool_calls")
                texts = [turn.content or ""] + [repr(c.arguments) for c in turn.tool_calls or []]
                for name in sorted({n for t in texts for n in placeholder_problems(t)}):
                    self.add(path, f"unknown placeholder {{{{{name}}}}}; known are "
                             + ", ".join(PLACEHOLDERS))
                for j, call in enumerate(turn.tool_calls or []):
                    if turn.agent in tools_of and call.name not in tools_of[turn.agent]:
                        self.add(f"{path}.tool_calls[{j}].name", f"agent {turn.agent!r} has no "
                                 f"tool {call.name!r}", agent=turn.agent)

    def check_layout(self) -> None:
        allowed = self.names | ({self.group_manager_name()} - {None})
        for key in self.spec.layout:
            if key not in allowed:
                self.add(f"layout.{key}", f"position of unknown node {key!r}", warning=True)


# -- graph helpers shared with the builder -----------------------------------------------------
def sequence_edges(spec: TemplateSpec) -> list[Any]:
    """The chats of a sequence in the order they run (``order``, then list order)."""
    indexed = list(enumerate(spec.pattern.edges))
    indexed.sort(key=lambda item: (item[1].order if item[1].order is not None else item[0], item[0]))
    return [edge for _, edge in indexed]


def group_members(spec: TemplateSpec) -> list[str]:
    """The agents of a group chat, in template order: the starter and every edge end."""
    involved = {e.source for e in spec.pattern.edges} | {e.target for e in spec.pattern.edges}
    if spec.pattern.starter:
        involved.add(spec.pattern.starter)
    ordered = [a.name for a in spec.agents if a.name in involved]
    return ordered + sorted(involved - set(ordered))


def reached_agents(spec: TemplateSpec) -> set[str]:
    """Agents that take part: the pattern's and, transitively, their nested chats'."""
    pattern = spec.pattern
    reached = {pattern.starter} if pattern.starter else set()
    reached |= {e.target for e in pattern.edges}
    if pattern.kind != PatternKind.GROUP:
        reached |= {e.source for e in pattern.edges}
    by_name = {a.name: a for a in spec.agents}
    todo = list(reached)
    while todo:
        agent = by_name.get(todo.pop())
        for nested in agent.nested_chats if agent else ():
            if nested.recipient not in reached:
                reached.add(nested.recipient)
                todo.append(nested.recipient)
    return reached

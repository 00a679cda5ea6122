"""Export a template as a readable, runnable Python script on :mod:`studio.engine`.

The script builds the same agents, tools (their source inlined), executors and pattern as
:func:`studio.spec.build_team`, runs a task (the first sample task unless one is given) on
the Demo model with the template's demo script (offline), and shows how to switch to a
real model. It prints exactly what ``roundtable run`` prints (``--json``: one JSON event per
line, the same events) and exits non-zero with the reason when the run fails.

It is code people keep, so it passes ``ruff check`` (the default rules and this project's,
lines of at most 100 characters): imports are hoisted and sorted, and every literal is
wrapped to fit. Tool source is inlined as written (so a tool's own long lines stay long);
tools whose helper names collide are each wrapped in a small factory function.
"""

from __future__ import annotations

import ast
import textwrap
from typing import TYPE_CHECKING, Any

from ._io import default_registry
from ._models import AgentKind, AgentSpec, PatternKind, TemplateSpec, ToolSpec
from ._script_source import (
    WIDTH,
    Imports,
    ident,
    indented,
    kwarg,
    lit,
    split_tool,
    wrapped_list,
)
from ._validate import group_members, sequence_edges

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["export_script"]

_RESERVED = {"DEMO_SCRIPTS", "TASK_FORMATS", "TASK", "WORK_DIR", "MODEL", "TOOLS", "build_team", "run", "main",
             "limit_replies", "os", "sys", "tempfile", "Path"}
_CLASSES = {AgentKind.ASSISTANT: "AssistantAgent", AgentKind.USER_PROXY: "UserProxyAgent",
            AgentKind.CONVERSABLE: "ConversableAgent",
            AgentKind.RETRIEVE_USER_PROXY: "RetrieveUserProxyAgent"}


def export_script(spec: TemplateSpec, *, registry: Registry | None = None) -> str:
    """The Python source of a script that builds and runs ``spec`` (see the module doc)."""
    return _Writer(spec, registry or default_registry()).write()


class _Writer:
    def __init__(self, spec: TemplateSpec, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self.tools: dict[str, tuple[str, str]] = {}  # name -> (source, description)
        self.vars = {a.name: ident(a.name) for a in spec.agents}
        self.imports = Imports()
        self.needs_limit = any(a.termination and (a.termination.max_messages
                                                  or a.termination.max_turns)
                               for a in spec.agents)

    # -- tools -------------------------------------------------------------------------------
    def tool_for(self, ref: str | ToolSpec) -> str:
        if isinstance(ref, ToolSpec):
            inline: ToolSpec | None = ref
        else:
            inline = next((t for t in self.spec.tools if t.name == ref), None)
        if inline is not None:
            self.tools.setdefault(inline.name, (inline.source, inline.description))
            return inline.name
        registered = self.registry.tool(str(ref))
        self.tools.setdefault(registered.name, (registered.source, registered.description))
        return registered.name

    def collect_tools(self) -> None:
        for agent in self.spec.agents:
            for ref in [*agent.tools, *agent.execute_tools]:
                self.tool_for(ref)

    def tool_section(self) -> list[str]:
        """The lines defining the tools and the TOOLS table (their imports go to the top)."""
        if not self.tools:
            return []
        lines = ["# -- tools: plain documented Python functions " + "-" * 46, ""]
        taken: set[str] = set(_RESERVED) | set(self.vars.values())
        bound = {"os": "os", "sys": "sys", "tempfile": "tempfile", "Path": "pathlib.Path"}
        table = []
        for name, (source, description) in self.tools.items():
            imports, body, defined = split_tool(source)
            trial = Imports()
            for node in imports:
                trial.add(node)
            clash = bool(defined & taken) or any(
                bound.get(n, where) != where or n in taken for n, where in trial.bound().items())
            for node in imports:
                if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    self.imports.add(node)
            if clash:  # its helpers would collide with another tool's: keep them apart
                factory = f"_{ident(name)}_tool"
                own = [ast.get_source_segment(source, node) or "" for node in imports
                       if not (isinstance(node, ast.ImportFrom) and node.module == "__future__")]
                lines += [f"def {factory}():",
                          f'    """The {name} tool, its helpers kept apart from the other '
                          'tools\'."""',
                          *indented("\n".join([*own, body])),
                          f"    return {name}", "", ""]
                fn = f"{factory}()"
            else:
                for node in imports:
                    self.imports.add(node)
                bound.update(trial.bound())
                lines += [body, "", ""]
                taken |= defined
                fn = name
            call = f"Tool.from_function({fn}, name={name!r}, description="
            entry = f"    {name!r}: {call}{lit(description or None, 8 + len(name) + len(call))}),"
            table += entry.split("\n") if len(entry.split("\n")[0]) <= WIDTH else [
                f"    {name!r}: Tool.from_function(",
                f"        {fn},", f"        name={name!r},",
                *kwarg("description", description or None, 8), "    ),"]
        return lines + ["TOOLS = {", *table, "}", "", ""]

    # -- agents ------------------------------------------------------------------------------
    def agent_code(self, agent: AgentSpec) -> list[str]:
        lines: list[str] = []
        kw = 8

        def add(name: str, value: Any) -> None:
            lines.extend(kwarg(name, value, kw))

        def raw(text: str) -> None:
            lines.append(" " * kw + text + ",")

        raw(repr(agent.name))
        add("description", agent.description)
        if agent.system_message is not None:
            add("system_message", agent.system_message)
        if agent.model is not None or agent.kind == AgentKind.ASSISTANT:
            raw("model=MODEL")
        if agent.model_settings is not None:
            add("model_settings", agent.model_settings.model_dump(exclude_none=True))
        if agent.human_input is not None:
            add("human_input", agent.human_input.value)
        if agent.max_consecutive_auto_reply is not None:
            raw(f"max_consecutive_auto_reply={agent.max_consecutive_auto_reply}")
        if agent.termination is not None:
            head = f"{' ' * kw}is_termination=Termination({agent.termination.kind!r}, "
            lines += (head + lit(agent.termination.value, len(head)) + "),").split("\n")
        for key, refs in (("tools", agent.tools), ("tools_for_execution", agent.execute_tools)):
            if refs:
                lines += wrapped_list(f"{key}=", [f"TOOLS[{self.tool_for(t)!r}]" for t in refs],
                                       ",", kw)
        code = agent.code_execution
        if code is not None and code.executor != "none":
            if code.executor == "local":
                raw(f"code_executor=LocalExecutor(work_dir=WORK_DIR, timeout={code.timeout})")
            else:
                image = f", image={code.image!r}" if code.image else ""
                raw(f"code_executor=DockerExecutor(work_dir=WORK_DIR, timeout={code.timeout}"
                    f"{image})")
            raw(f"approve_code={code.approve}")
            if code.cleared_by is not None:
                raw(f"code_gate=ClearedBy({code.cleared_by.agent!r}, "
                    f"tool={code.cleared_by.tool!r})")
        if agent.default_auto_reply:
            add("default_auto_reply", agent.default_auto_reply)
        retrieval = agent.retrieval
        if agent.kind == AgentKind.RETRIEVE_USER_PROXY and retrieval is not None:
            self.imports.add(ast.ImportFrom(module="studio.engine.retrieval", level=0,
                                            names=[ast.alias("BM25Index")]))
            if retrieval.collection:
                lines.append(f"{' ' * kw}# the studio collection {retrieval.collection!r} is "
                             "not exported: put its texts here")
            head = f"{' ' * kw}retriever=BM25Index.from_texts("
            texts = {d.source: d.text for d in retrieval.documents}
            lines.extend((head + lit(texts, len(head), kw)
                          + f", chunk_size={retrieval.chunk_size}),").split("\n"))
            raw(f"n_results={retrieval.n_results}")
            add("task", retrieval.task)
            if not retrieval.update_context:
                raw("update_context=False")
        if agent.stream:
            raw("stream=True")
        var = self.vars[agent.name]
        out = [f"    {var} = {_CLASSES[agent.kind]}(", *lines, "    )"]
        term = agent.termination
        if term is not None and (term.max_messages or term.max_turns):
            out.append(f"    limit_replies({var}, max_messages={term.max_messages}, "
                       f"max_turns={term.max_turns})")
        if agent.answer_key:
            out.append(f"    # {agent.name} checks \\boxed{{}} answers to these tasks with code")
            head = f"    {var}.register_reply(AnswerKey("
            out += (head + lit(agent.answer_key, len(head), 4) + "))").split("\n")
        return out

    def nested_code(self) -> list[str]:
        lines = []
        for agent in self.spec.agents:
            if not agent.nested_chats:
                continue
            lines.append(f"    # before replying, {agent.name} consults a sub-conversation")
            lines.append(f"    {self.vars[agent.name]}.register_nested_chats([")
            for n in agent.nested_chats:
                lines += ["        NestedChat(",
                          f"            recipient={self.vars[n.recipient]},",
                          f"            max_turns={n.max_turns},",
                          *kwarg("summary_method", n.summary_method, 12),
                          *kwarg("message", n.message, 12),
                          "        ),"]
            lines.append("    ])")
        return lines

    def group_code(self) -> list[str]:
        pattern = self.spec.pattern
        settings = pattern.group
        members = group_members(self.spec)
        graph: dict[str, list[str]] = {m: [] for m in members}
        for edge in pattern.edges:
            if edge.target not in graph[edge.source]:
                graph[edge.source].append(edge.target)
        if settings is not None and settings.allow_repeat_speaker:
            for m in members:
                if m not in graph[m]:
                    graph[m].append(m)
        selection = settings.speaker_selection if settings else "auto"
        lines = ["    # who may speak after whom: exactly the arrows of the canvas",
                 "    graph = {"]
        for source, targets in graph.items():
            lines += wrapped_list(f"{self.vars[source]}: ", [self.vars[t] for t in targets],
                                   ",", 8)
        manager = settings.manager_name if settings else "chat_manager"
        lines += [
            "    }",
            "    chat = GroupChat(",
            *wrapped_list("", [self.vars[m] for m in members], ",", 8),
            f"        max_round={settings.max_round if settings else 12},",
            f"        speaker_selection={selection!r},",
            "        allowed_transitions=graph,",
            "        transitions_type='allowed',",
            f"        send_introductions={settings.send_introductions if settings else False},",
            "    )",
            f"    manager = GroupChatManager(chat, name={manager!r}, "
            f"model={'MODEL' if selection == 'auto' else 'None'})",
        ]
        return lines

    def run_code(self) -> list[str]:
        pattern = self.spec.pattern
        v = self.vars
        prompt = kwarg("summary_prompt", pattern.summary_prompt, 8) if pattern.summary_prompt \
            else []
        if pattern.kind == PatternKind.SEQUENCE:
            prompt = kwarg("summary_prompt", pattern.summary_prompt, 12) \
                if pattern.summary_prompt else []
            lines = ["    return initiate_chats(["]
            for e in sequence_edges(self.spec):
                message = e.message if e.message is not None else pattern.message
                lines += ["        ChatSpec(",
                          f"            {v[e.source]},",
                          f"            {v[e.target]},",
                          *_message(message, 12, "message="),
                          f"            max_turns={e.max_turns!r},",
                          *kwarg("summary_method", e.summary_method or pattern.summary_method,
                                  12),
                          *prompt,
                          f"            carryover={e.carryover!r},",
                          "        ),"]
            lines.append("    ], control=control)")
            return lines
        target = "manager" if pattern.kind == PatternKind.GROUP else v[pattern.edges[0].target]
        return [f"    chat = {v[pattern.starter or '']}.initiate_chat(",
                f"        {target},",
                *_message(pattern.message, 8),
                f"        max_turns={pattern.max_turns!r},",
                *kwarg("summary_method", pattern.summary_method, 8),
                *prompt,
                "        control=control,",
                "    )",
                "    return [chat]"]

    # -- the whole script ----------------------------------------------------------------------
    def engine_names(self) -> list[str]:
        spec = self.spec
        names = {_CLASSES[a.kind] for a in spec.agents} | {
            "ConsoleHuman", "DemoModel", "HumanInput", "NoHuman", "RunControl"}
        if self.tools:
            names.add("Tool")
        if any(a.termination for a in spec.agents):
            names.add("Termination")
        if any(a.nested_chats for a in spec.agents):
            names.add("NestedChat")
        if any(a.answer_key for a in spec.agents):
            names.add("AnswerKey")
        if any(a.code_execution and a.code_execution.cleared_by for a in spec.agents):
            names.add("ClearedBy")
        if spec.pattern.kind == PatternKind.GROUP:
            names |= {"GroupChat", "GroupChatManager"}
        if spec.pattern.kind == PatternKind.SEQUENCE:
            names |= {"ChatSpec", "initiate_chats"}
        for a in spec.agents:
            if a.code_execution and a.code_execution.executor != "none":
                names.add({"local": "LocalExecutor", "docker": "DockerExecutor"}[
                    a.code_execution.executor])
        if self.needs_limit:
            names |= {"Stop", "StopReason"}
        return sorted(names)

    def write(self) -> str:
        spec = self.spec
        self.collect_tools()
        tool_lines = self.tool_section()
        agent_lines = [line for agent in spec.agents for line in self.agent_code(agent)]
        for module in ("os", "sys", "tempfile"):
            self.imports.add(ast.Import(names=[ast.alias(module)]))
        self.imports.add(ast.ImportFrom(module="pathlib", names=[ast.alias("Path")], level=0))
        self.imports.add(ast.ImportFrom(module="studio.engine", level=0,
                                        names=[ast.alias(n) for n in self.engine_names()]))
        self.imports.add(ast.ImportFrom(module="studio.engine.transcript", level=0, names=[
            ast.alias(n) for n in ("RunOutcome", "RunTranscript", "run_outcome")]))
        doc = (spec.description or spec.name).strip().replace('"""', "'''").replace("\\", "/")
        title = f"{spec.name} (exported from Roundtable Studio)."
        out: list[str] = [
            '"""' + title.replace('"""', "'''").replace("\\", "/"),
            "",
            *textwrap.wrap(" ".join(doc.split()), 92),
            "",
            "Runs offline on the Demo model, which rehearses the template's demo scripts:",
            '    python this_script.py ["your task"] [--json]',
            "It prints what `roundtable run` prints (--json, or ROUNDTABLE_TRANSCRIPT_JSON=1: one",
            "JSON event per line) and exits non-zero, saying why, when the run fails.",
            '"""',
            "",
            *self.imports.lines(),
            "",
            *(f"TASK = {lit(spec.default_task, 7)}").split("\n"),
            "WORK_DIR = Path(",
            "    os.environ.get('ROUNDTABLE_WORK_DIR') or tempfile.mkdtemp(prefix='roundtable-')",
            ")",
            "",
            "# The Demo model rehearses these conversations (one per sample task; one without a",
            "# task for any other task, filled with its words), so a run looks real offline.",
            *_demo_scripts(spec.demo_scripts_dicts()),
            *(f"TASK_FORMATS = {lit(spec.task_formats, 15, 0)}").split("\n"),
            "",
            "MODEL = DemoModel(scripts=DEMO_SCRIPTS, task_formats=TASK_FORMATS)",
            "# To use a real model instead, replace the line above, for example:",
            "#   from studio.engine.models import OpenAIChatModel",
            "#   MODEL = OpenAIChatModel('gpt-4o-mini', api_key_env='OPENAI_API_KEY')",
            "# (any OpenAI-compatible server works too: add base_url='http://localhost:11434/v1')",
            "",
            "",
            *tool_lines,
        ]
        if self.needs_limit:
            out += _LIMIT_HELPER
        out += ["def build_team():",
                '    """Create the agents and wire them as the template\'s pattern says."""']
        out += agent_lines  # written first: an agent may need an import (BM25Index)
        out += self.nested_code()
        group = spec.pattern.kind == PatternKind.GROUP
        if group:
            out += self.group_code()
        out += ["    agents = {",
                *[f"        {a.name!r}: {self.vars[a.name]}," for a in spec.agents],
                "    }",
                f"    return agents, {'manager' if group else 'None'}",
                "", "",
                "def run(task, control, unattended=False):",
                '    """Start the conversation; returns the top-level chat results."""',
                f"    agents, {'manager' if group else '_'} = build_team()",
                "    if unattended:  # nobody at the keyboard: no agent waits for a person",
                "        for agent in agents.values():",
                "            agent.human_input = HumanInput.NEVER",
                *[f"    {self.vars[a.name]} = agents[{a.name!r}]" for a in spec.agents
                  if a.name in self.used_names()],
                *self.run_code(),
                "", ""]
        out += _MAIN
        return "\n".join(out) + "\n"

    def used_names(self) -> set[str]:
        pattern = self.spec.pattern
        if pattern.kind == PatternKind.SEQUENCE:
            return {e.source for e in pattern.edges} | {e.target for e in pattern.edges}
        names = {pattern.starter or ""}
        if pattern.kind == PatternKind.TWO_AGENT:
            names.add(pattern.edges[0].target)
        return names


def _message(template: str, indent: int, keyword: str = "") -> list[str]:
    """The first message as a call argument: the task itself, or the template filled in."""
    head = " " * indent + keyword
    if template == "{task}":
        return [head + "task,"]
    if "{task}" in template:
        return (head + lit(template, len(head)) + ".replace('{task}', task),").split("\n")
    return (head + lit(template, len(head)) + ",").split("\n")


def _demo_scripts(scripts: list[dict[str, Any]]) -> list[str]:
    """``DEMO_SCRIPTS = [...]``: one entry per script (its sample task, or none for any
    other task), one turn per entry, multi-line text kept readable."""
    lines = ["DEMO_SCRIPTS = ["]
    for script in scripts:
        lines.append("    {")
        if script.get("task"):
            lines += _kwarg_dict("task", script["task"], 8)
        lines.append("        'turns': [")
        for turn in script["turns"]:
            entry = {k: turn[k] for k in ("agent", "tool_calls", "content")
                     if turn.get(k) is not None}
            one = f"            {entry!r},"
            if len(one) <= WIDTH and "\n" not in one:
                lines.append(one)
                continue
            lines.append("            {")
            for key, value in entry.items():
                lines += _kwarg_dict(key, value, 16)
            lines.append("            },")
        lines += ["        ],", "    },"]
    lines.append("]")
    return lines


def _kwarg_dict(key: str, value: Any, indent: int) -> list[str]:
    head = " " * indent + f"{key!r}: "
    return (head + lit(value, len(head)) + ",").split("\n")


_LIMIT_HELPER = [
    "def limit_replies(agent, max_messages=None, max_turns=None):",
    '    """Stop replying once the conversation holds max_messages, or after max_turns',
    '    replies to the same counterpart in one chat."""',
    "    replies = {}",
    "",
    "    def limit(agent, messages, sender, ctx):",
    "        if max_messages is not None and len(messages) >= max_messages:",
    "            return True, Stop(StopReason.MAX_MESSAGES)",
    "        if max_turns is not None:",
    "            key = id(sender)",
    "            given = 0 if len(messages) <= 1 else replies.get(key, 0)",
    "            if given >= max_turns:",
    "                return True, Stop(StopReason.MAX_TURNS)",
    "            replies[key] = given + 1",
    "        return False, None",
    "",
    "    agent.register_reply(limit)",
    "", "",
]

_MAIN = [
    "def main(argv):",
    '    """Run the team on a task; print the transcript as `roundtable run` does."""',
    "    as_json = '--json' in argv or os.environ.get('ROUNDTABLE_TRANSCRIPT_JSON') == '1'",
    "    args = [a for a in argv if a != '--json']",
    "    task = args[0] if args else TASK",
    "    attended = sys.stdin.isatty() and not as_json",
    "    transcript = RunTranscript(sys.stdout.write, as_json=as_json)",
    "    control = RunControl(on_event=transcript, human=ConsoleHuman() if attended else NoHuman())",
    "    transcript.start(task)",
    "    try:",
    "        chats = run(task, control, unattended=not attended)",
    "        outcome = run_outcome(chats, last_error=transcript.last_error)",
    "    except KeyboardInterrupt:",
    "        control.cancel()",
    "        outcome = RunOutcome('cancelled', 'cancelled')",
    "    except Exception as exc:  # noqa: BLE001 - any failure ends the run: say why",
    "        outcome = RunOutcome('failed', 'error', error=transcript.error(exc))",
    "    transcript.finish(outcome, control.usage.to_dict())",
    "    sys.stdout.flush()",
    "    if outcome.status == 'finished':",
    "        return 0",
    "    name = Path(sys.argv[0]).name",
    "    print(f'{name}: run {outcome.status}: {outcome.error or outcome.reason}', file=sys.stderr)",
    "    return 130 if outcome.status == 'cancelled' else 1",
    "",
    "",
    "if __name__ == '__main__':",
    "    sys.exit(main(sys.argv[1:]))",
]

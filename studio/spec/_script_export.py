"""Export a template as a readable, runnable Python script on :mod:`studio.engine`.

The script builds the same agents, tools (their source inlined), executors and
pattern as :func:`studio.spec.build_team`, runs the first sample task on the Demo
model with the template's demo script (offline), and shows how to switch to a real
model. ``ROUNDTABLE_TRANSCRIPT_JSON=1`` (or ``--json``) prints the transcript as JSON
lines ``{"sender": ..., "content": ...}`` instead of the readable view.
"""

from __future__ import annotations

import ast
import pprint
import re
from typing import TYPE_CHECKING, Any

from ._io import default_registry
from ._models import AgentKind, AgentSpec, PatternKind, TemplateSpec, ToolSpec
from ._validate import group_members, sequence_edges

if TYPE_CHECKING:
    from .registry import Registry

__all__ = ["export_script"]

_RESERVED = {"DEMO_SCRIPT", "TASK", "WORK_DIR", "MODEL", "build_team", "run", "main",
             "limit_replies", "print_event", "os", "sys", "json", "tempfile", "Path"}
_CLASSES = {AgentKind.ASSISTANT: "AssistantAgent", AgentKind.USER_PROXY: "UserProxyAgent",
            AgentKind.CONVERSABLE: "ConversableAgent",
            AgentKind.RETRIEVE_USER_PROXY: "RetrieveUserProxyAgent"}


def export_script(spec: TemplateSpec, *, registry: Registry | None = None) -> str:
    """The Python source of a script that builds and runs ``spec`` (see the module doc)."""
    return _Writer(spec, registry or default_registry()).write()


def _lit(value: Any) -> str:
    """A Python literal, multi-line strings kept readable."""
    if isinstance(value, str) and "\n" in value and '"""' not in value:
        if value.endswith('"'):
            return repr(value)
        return '"""\\\n' + value.replace("\\", "\\\\") + '"""'
    return pprint.pformat(value, width=92, sort_dicts=False)


def _ident(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if ident.isidentifier() and not ident[0].isdigit() else f"agent_{ident}"


def _top_names(source: str) -> tuple[set[str], list[str]]:
    """Names a source defines at top level (not imports) and its __future__ lines."""
    tree = ast.parse(source)
    names: set[str] = set()
    futures = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            futures.append(ast.get_source_segment(source, node) or "")
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    return names, futures


class _Writer:
    def __init__(self, spec: TemplateSpec, registry: Registry) -> None:
        self.spec = spec
        self.registry = registry
        self.tools: dict[str, tuple[str, str]] = {}  # name -> (source, description)
        self.vars = {a.name: _ident(a.name) for a in spec.agents}
        self.needs_limit = any(a.termination and (a.termination.max_messages
                                                  or a.termination.max_turns)
                               for a in spec.agents)

    # -- pieces ------------------------------------------------------------------------------
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

    def tool_section(self) -> tuple[list[str], list[str]]:
        """(future imports, lines defining the tools and the TOOLS table)."""
        futures: list[str] = []
        lines = ["# -- tools: plain documented Python functions ---------------------------------"]
        seen: set[str] = set(_RESERVED) | set(self.vars.values())
        table = []
        for name, (source, description) in self.tools.items():
            defined, fut = _top_names(source)
            futures += [f for f in fut if f not in futures]
            body = "\n".join(line for line in source.strip("\n").splitlines()
                             if line.strip() not in fut)
            if defined & seen:  # helper names clash: keep this tool in its own namespace
                ns = f"_{_ident(name)}_ns"
                lines += [f"{ns}: dict = {{}}",
                          f"exec(compile({_lit(body + chr(10))}, {name!r}, 'exec'), {ns})",
                          ""]
                fn = f"{ns}[{name!r}]"
            else:
                lines += [body.strip("\n"), "", ""]
                seen |= defined
                fn = name
            table.append(f"    {name!r}: Tool.from_function({fn}, name={name!r}, "
                         f"description={(description or None)!r}),")
        lines += ["TOOLS = {", *table, "}", ""]
        return futures, lines

    def agent_code(self, agent: AgentSpec) -> list[str]:
        cls = _CLASSES[agent.kind]
        args: list[str] = [repr(agent.name)]
        add = args.append
        add(f"description={agent.description!r}")
        if agent.system_message is not None:
            add(f"system_message={_lit(agent.system_message)}")
        if agent.model is not None or agent.kind == AgentKind.ASSISTANT:
            add("model=MODEL")
        if agent.model_settings is not None:
            add(f"model_settings={agent.model_settings.model_dump(exclude_none=True)!r}")
        if agent.human_input is not None:
            add(f"human_input={agent.human_input.value!r}")
        if agent.max_consecutive_auto_reply is not None:
            add(f"max_consecutive_auto_reply={agent.max_consecutive_auto_reply}")
        if agent.termination is not None:
            add(f"is_termination=Termination({agent.termination.kind!r}, "
                f"{agent.termination.value!r})")
        if agent.tools:
            add("tools=[" + ", ".join(f"TOOLS[{self.tool_for(t)!r}]" for t in agent.tools) + "]")
        if agent.execute_tools:
            add("tools_for_execution=[" + ", ".join(f"TOOLS[{self.tool_for(t)!r}]"
                                                    for t in agent.execute_tools) + "]")
        code = agent.code_execution
        if code is not None and code.executor != "none":
            if code.executor == "local":
                add(f"code_executor=LocalExecutor(work_dir=WORK_DIR, timeout={code.timeout})")
            else:
                image = f", image={code.image!r}" if code.image else ""
                add(f"code_executor=DockerExecutor(work_dir=WORK_DIR, timeout={code.timeout}"
                    f"{image})")
            add(f"approve_code={code.approve}")
        if agent.default_auto_reply:
            add(f"default_auto_reply={agent.default_auto_reply!r}")
        retrieval = agent.retrieval
        if agent.kind == AgentKind.RETRIEVE_USER_PROXY and retrieval is not None:
            texts = {d.source: d.text for d in retrieval.documents}
            note = (f"# the studio collection {retrieval.collection!r} is not exported: "
                    "put its texts here\n" if retrieval.collection else "")
            add(f"{note}retriever=BM25Index.from_texts({_lit(texts)}, "
                f"chunk_size={retrieval.chunk_size})")
            add(f"n_results={retrieval.n_results}")
            add(f"task={retrieval.task!r}")
            if not retrieval.update_context:
                add("update_context=False")
        if agent.stream:
            add("stream=True")
        var = self.vars[agent.name]
        lines = [f"    {var} = {cls}("]
        for arg in args:
            lines += [f"        {line}" if i == 0 else line
                      for i, line in enumerate((arg + ",").splitlines())]
        lines.append("    )")
        term = agent.termination
        if term is not None and (term.max_messages or term.max_turns):
            lines.append(f"    limit_replies({var}, max_messages={term.max_messages}, "
                         f"max_turns={term.max_turns})")
        if agent.answer_key:
            lines.append(f"    # {agent.name} checks \\boxed{{}} answers to these tasks with code")
            lines.append(f"    {var}.register_reply(AnswerKey({agent.answer_key!r}))")
        return lines

    def nested_code(self) -> list[str]:
        lines = []
        for agent in self.spec.agents:
            if not agent.nested_chats:
                continue
            lines.append(f"    # before replying, {agent.name} consults a sub-conversation")
            lines.append(f"    {self.vars[agent.name]}.register_nested_chats([")
            for n in agent.nested_chats:
                lines += [f"        NestedChat(recipient={self.vars[n.recipient]}, "
                          f"max_turns={n.max_turns}, summary_method={n.summary_method!r},",
                          f"                   message={n.message!r}),"]
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
            lines.append(f"        {self.vars[source]}: [{', '.join(self.vars[t] for t in targets)}],")
        lines += [
            "    }",
            "    chat = GroupChat(",
            f"        [{', '.join(self.vars[m] for m in members)}],",
            f"        max_round={settings.max_round if settings else 12},",
            f"        speaker_selection={selection!r},",
            "        allowed_transitions=graph,",
            "        transitions_type='allowed',",
            f"        send_introductions={settings.send_introductions if settings else False},",
            "    )",
            f"    manager = GroupChatManager(chat, name="
            f"{(settings.manager_name if settings else 'chat_manager')!r}, "
            f"model={'MODEL' if selection == 'auto' else 'None'})",
        ]
        return lines

    def run_code(self) -> list[str]:
        pattern = self.spec.pattern
        v = self.vars
        prompt = f", summary_prompt={pattern.summary_prompt!r}" if pattern.summary_prompt else ""
        if pattern.kind == PatternKind.SEQUENCE:
            lines = ["    chats = initiate_chats(["]
            for e in sequence_edges(self.spec):
                message = e.message if e.message is not None else pattern.message
                lines += [f"        ChatSpec({v[e.source]}, {v[e.target]},",
                          f"                 message={_message(message)},",
                          f"                 max_turns={e.max_turns!r}, "
                          f"summary_method={(e.summary_method or pattern.summary_method)!r},",
                          f"                 carryover={e.carryover!r}{prompt}),"]
            lines.append("    ], control=control)")
            return lines
        target = "manager" if pattern.kind == PatternKind.GROUP else v[pattern.edges[0].target]
        return [f"    chat = {v[pattern.starter or '']}.initiate_chat(",
                f"        {target}, {_message(pattern.message)},",
                f"        max_turns={pattern.max_turns!r}, "
                f"summary_method={pattern.summary_method!r}{prompt}, control=control)",
                "    chats = [chat]"]

    # -- the whole script ----------------------------------------------------------------------
    def write(self) -> str:
        spec = self.spec
        self.collect_tools()
        futures, tool_lines = self.tool_section()
        kinds = {a.kind for a in spec.agents}
        engine_names = sorted({_CLASSES[k] for k in kinds} | {"RunControl", "Tool"}
                              | ({"Termination"} if any(a.termination for a in spec.agents)
                                 else set())
                              | ({"NestedChat"} if any(a.nested_chats for a in spec.agents)
                                 else set())
                              | ({"AnswerKey"} if any(a.answer_key for a in spec.agents)
                                 else set())
                              | ({"GroupChat", "GroupChatManager"}
                                 if spec.pattern.kind == PatternKind.GROUP else set())
                              | ({"ChatSpec", "initiate_chats"}
                                 if spec.pattern.kind == PatternKind.SEQUENCE else set())
                              | {"ConsoleHuman", "NoHuman", "events"})
        code_kinds = {a.code_execution.executor for a in spec.agents if a.code_execution}
        executors = sorted({"local": "LocalExecutor", "docker": "DockerExecutor"}[k]
                           for k in code_kinds if k != "none")
        if self.needs_limit:
            engine_names.extend(["Stop", "StopReason"])
        doc = (spec.description or spec.name).strip()
        out: list[str] = [
            "#!/usr/bin/env python3",
            f'"""{spec.name} (exported from Roundtable Studio).',
            "",
            *[line.rstrip() for line in _wrap(doc.replace('"""', "'''"))],
            "",
            "Runs offline on the Demo model, which replays the template's demo script:",
            "    python this_script.py [\"your task\"]",
            "Set ROUNDTABLE_TRANSCRIPT_JSON=1 (or pass --json) to print the transcript as JSON lines.",
            '"""',
            "",
            *futures,
            "import json",
            "import os",
            "import sys",
            "import tempfile",
            "from pathlib import Path",
            "",
            "from studio.engine import (",
            *[f"    {n}," for n in sorted(set(engine_names), key=str.lower)],
            ")",
        ]
        if executors:
            out.append(f"from studio.engine.code import {', '.join(executors)}")
        if AgentKind.RETRIEVE_USER_PROXY in kinds:
            out.append("from studio.engine.retrieval import BM25Index")
        out += [
            "from studio.engine.models import DemoModel",
            "",
            f"TASK = {_lit(spec.default_task)}",
            "WORK_DIR = Path(os.environ.get('ROUNDTABLE_WORK_DIR') or "
            "tempfile.mkdtemp(prefix='roundtable-'))",
            "",
            "# The Demo model rehearses these conversations (one per sample task; one without a",
            "# task for any other task, filled with its words), so a run looks real offline.",
            *_demo_scripts(spec.demo_scripts_dicts()),
            f"TASK_FORMATS = {spec.task_formats!r}",
            "",
            "MODEL = DemoModel(scripts=DEMO_SCRIPTS, task_formats=TASK_FORMATS)",
            "# To use a real model instead, replace the line above, for example:",
            "#   from studio.engine.models import OpenAIChatModel",
            "#   MODEL = OpenAIChatModel('gpt-4o-mini', api_key_env='OPENAI_API_KEY')",
            "# (any OpenAI-compatible server works too: add base_url='http://localhost:11434/v1')",
            "",
            *tool_lines,
            "",
        ]
        if self.needs_limit:
            out += _LIMIT_HELPER
        out += ["def build_team():",
                '    """Create the agents and wire them as the template\'s pattern says."""']
        for agent in spec.agents:
            out += self.agent_code(agent)
        out += self.nested_code()
        if spec.pattern.kind == PatternKind.GROUP:
            out += self.group_code()
        agents_dict = ", ".join(f"{a.name!r}: {self.vars[a.name]}" for a in spec.agents)
        out += [f"    agents = {{{agents_dict}}}",
                f"    return agents, {'manager' if spec.pattern.kind == PatternKind.GROUP else 'None'}",
                "", "",
                "def run(task, control):",
                '    """Start the conversation; returns the list of top-level chat results."""',
                "    agents, manager = build_team()",
                *[f"    {self.vars[a.name]} = agents[{a.name!r}]" for a in spec.agents
                  if a.name in self.used_names()],
                *self.run_code(),
                "    return chats",
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


def _message(template: str) -> str:
    """Python for the first message: the task itself, or the template with {task} filled."""
    if template == "{task}":
        return "task"
    if "{task}" in template:
        return f"{template!r}.replace('{{task}}', task)"
    return repr(template)


def _demo_scripts(scripts: list[dict[str, Any]]) -> list[str]:
    """``DEMO_SCRIPTS = [...]``: one entry per script, one line per turn, readable text."""
    lines = ["DEMO_SCRIPTS = ["]
    for script in scripts:
        lines.append("    {" + (f"'task': {_lit(script['task'])}, " if script.get("task") else "")
                     + "'turns': [")
        for turn in script["turns"]:
            head = f"        {{'agent': {turn['agent']!r}"
            if turn.get("tool_calls"):
                head += f", 'tool_calls': {turn['tool_calls']!r}"
            if turn.get("content") is None:
                lines.append(head + "},")
            else:
                lines.append(head + f", 'content': {_lit(turn['content'])}}},")
        lines.append("    ]},")
    lines.append("]")
    return lines


def _wrap(text: str, width: int = 92) -> list[str]:
    import textwrap

    return textwrap.wrap(" ".join(text.split()), width) or [""]


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
    "def print_event(event):",
    '    """A readable live transcript: who said what to whom."""',
    "    if isinstance(event, events.MessageSent):",
    "        indent = '    ' * getattr(event, 'depth', 0)",
    "        text = event.message.content or ', '.join(",
    "            f'{c.name}({c.arguments})' for c in event.message.tool_calls)",
    "        print(f'{indent}{event.sender} -> {event.recipient}:')",
    "        print('\\n'.join(indent + '  ' + line for line in text.splitlines()) + '\\n')",
    "",
    "",
    "def main(argv):",
    "    as_json = '--json' in argv or os.environ.get('ROUNDTABLE_TRANSCRIPT_JSON') == '1'",
    "    args = [a for a in argv if a != '--json']",
    "    task = args[0] if args else TASK",
    "    human = ConsoleHuman() if sys.stdin.isatty() and not as_json else NoHuman()",
    "    control = RunControl(on_event=None if as_json else print_event, human=human)",
    "    chats = run(task, control)",
    "    if as_json:",
    "        for chat in chats:",
    "            for message in chat.history:",
    "                print(json.dumps({'sender': message.name, 'content': message.content}))",
    "    else:",
    "        print(f'-- stopped: {chats[-1].stop_reason}')",
    "        print(f'-- summary: {chats[-1].summary}')",
    "    return 0",
    "",
    "",
    "if __name__ == '__main__':",
    "    sys.exit(main(sys.argv[1:]))",
]

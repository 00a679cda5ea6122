"""Demo scripts: the scripted conversations the Demo model replays, and their format.

A *demo script* is a list of turns in conversation order; each turn is
``{agent, content}`` and/or ``{agent, tool_calls: [{name, arguments}]}``. A team carries
one script per sample task (``DemoScript(task=..., turns=...)``) and optionally one
without a task, played for any task the others do not know. Any script's text and
tool-call arguments may use the placeholders in :data:`PLACEHOLDERS`, written
``{{topic}}`` or ``{{names|the team}}`` (after the bar: what to say when the task has
none); the Demo model fills them from the task of the run (see ``_demo_words``). A turn
using a placeholder without a bar that the task has no words for (``{{expression}}`` for
a task without a sum, ``{{names}}`` for one without names) is left out, so a script can
offer a turn for tasks that have them and another for tasks that do not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# name -> what it becomes (documentation shown by validation errors and the format docs)
PLACEHOLDERS: dict[str, str] = {
    "task": "the task as typed",
    "request": "the task as a request, lower-case, no final punctuation "
               "('plan a one-day workshop for teachers')",
    "topic": "what the task is about ('a one-day workshop for teachers')",
    "Topic": "the topic with a capital first letter",
    "question": "the task as a question ('How do we plan a one-day workshop for teachers?')",
    "names": "the names in the task ('Maria and Tom'), else the text after the bar",
    "name": "the first name in the task, else the text after the bar",
    "keywords": "up to three words the task is about ('one-day, workshop, teachers')",
    "keyword": "the first of those words",
    "expression": "an arithmetic expression in the task ('(17 * 23) - 2 ** 8'), else the "
                  "text after the bar",
    "task_quoted": "the task as a double-quoted string literal (Python and JSON)",
    "code": "the code in the task (a fenced block, or what follows the first blank line)",
    "last_message": "the last message the speaking agent received (a reply, a tool's result)",
}
PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_]+)\s*(?:\|([^{}]*))?\}\}")


class DemoScriptError(ValueError):
    """A demo script is malformed; the message names the bad entry and what to fix."""


@dataclass(frozen=True)
class DemoToolCall:
    """A tool call in a demo script; ``arguments`` is a JSON object."""

    name: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class DemoTurn:
    """One scripted reply: ``agent`` says ``content`` and/or calls ``tool_calls``."""

    agent: str
    content: str | None = None
    tool_calls: tuple[DemoToolCall, ...] = ()


@dataclass(frozen=True)
class DemoScript:
    """The turns played for ``task`` (``None``: for any task no other script knows)."""

    turns: tuple[DemoTurn, ...]
    task: str | None = None


DemoScriptItem = DemoTurn | Mapping[str, Any]


def parse_demo_script(items: Iterable[DemoScriptItem] | None,
                      where: str = "demo_script") -> tuple[DemoTurn, ...]:
    """Validate a demo script (list of dicts or :class:`DemoTurn`) into turns."""
    if items is None:
        return ()
    if isinstance(items, (str, bytes, Mapping)):
        raise DemoScriptError(
            f"{where}: expected a list of turns like "
            "[{agent: coder, content: '...'}], got " + type(items).__name__)
    return tuple(_parse_turn(item, f"{where}[{i}]") for i, item in enumerate(items))


def parse_demo_scripts(items: Iterable[DemoScript | Mapping[str, Any]] | None,
                       ) -> tuple[DemoScript, ...]:
    """Validate a list of ``{task, turns}`` scripts: tasks unique, at most one without."""
    if items is None:
        return ()
    if isinstance(items, (str, bytes, Mapping)):
        raise DemoScriptError("demo_scripts: expected a list like [{task: '...', turns: [...]}]")
    scripts: list[DemoScript] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"demo_scripts[{i}]"
        if isinstance(item, DemoScript):
            item = {"task": item.task, "turns": item.turns}
        if not isinstance(item, Mapping):
            raise DemoScriptError(f"{where}: expected a mapping with 'task' and 'turns'")
        _known_keys(item, ("task", "turns"), where)
        task = item.get("task")
        if task is not None and (not isinstance(task, str) or not task.strip()):
            raise DemoScriptError(f"{where}.task: give the task text, or leave 'task' out for "
                                  "the script played for any other task")
        key = task_key(task) if task is not None else ""
        if key in seen:
            raise DemoScriptError(
                f"{where}.task: demo_scripts[{seen[key]}] is already for "
                + (f"the task {task!r}" if task is not None else "any other task"))
        seen[key] = i
        turns = parse_demo_script(item.get("turns") or [], f"{where}.turns")
        if not turns:
            raise DemoScriptError(f"{where}.turns: a script needs at least one turn")
        scripts.append(DemoScript(turns=turns, task=task.strip() if task else None))
    return tuple(scripts)


def placeholder_problems(text: str) -> list[str]:
    """The unknown placeholders in ``text`` (``{{name}}`` with a name not in PLACEHOLDERS)."""
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) not in PLACEHOLDERS]


def task_key(task: str) -> str:
    """How tasks are compared: case, spacing and final punctuation do not matter."""
    return re.sub(r"[\s.!?…]+$", "", " ".join(task.split()).lower())


def _known_keys(item: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(item) - set(allowed))
    if unknown:
        raise DemoScriptError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                              f"allowed are {', '.join(map(repr, allowed))}")


def _parse_turn(item: DemoScriptItem, where: str) -> DemoTurn:
    if isinstance(item, DemoTurn):
        item = {"agent": item.agent, "content": item.content,
                "tool_calls": [{"name": c.name, "arguments": dict(c.arguments)}
                               for c in item.tool_calls]}
    if not isinstance(item, Mapping):
        raise DemoScriptError(f"{where}: expected a mapping with 'agent' and 'content' or "
                              f"'tool_calls', got {type(item).__name__}")
    _known_keys(item, ("agent", "content", "tool_calls"), where)
    agent = item.get("agent")
    if not isinstance(agent, str) or not agent.strip():
        raise DemoScriptError(f"{where}.agent: give the name of the agent who says this turn")
    content = item.get("content")
    if content is not None and not isinstance(content, str):
        raise DemoScriptError(f"{where}.content: must be text, got {type(content).__name__}")
    raw_calls = item.get("tool_calls") or []
    if not isinstance(raw_calls, Sequence) or isinstance(raw_calls, (str, bytes)):
        raise DemoScriptError(f"{where}.tool_calls: must be a list of {{name, arguments}}")
    calls = tuple(_parse_call(c, f"{where}.tool_calls[{j}]") for j, c in enumerate(raw_calls))
    if not (content and content.strip()) and not calls:
        raise DemoScriptError(f"{where}: a turn needs non-empty 'content' or 'tool_calls'")
    for name in placeholder_problems(content or "") + [
            n for c in calls for n in placeholder_problems(json.dumps(c.arguments))]:
        raise DemoScriptError(f"{where}: unknown placeholder {{{{{name}}}}}; known are "
                              + ", ".join(PLACEHOLDERS))
    return DemoTurn(agent=agent.strip(), content=content, tool_calls=calls)


def _parse_call(call: Any, where: str) -> DemoToolCall:
    if not isinstance(call, Mapping):
        raise DemoScriptError(f"{where}: expected {{name: ..., arguments: {{...}}}}")
    _known_keys(call, ("name", "arguments"), where)
    name = call.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DemoScriptError(f"{where}.name: give the tool's name")
    arguments = call.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments or "{}")
        except json.JSONDecodeError as exc:
            raise DemoScriptError(f"{where}.arguments: not valid JSON ({exc.msg})") from None
    if not isinstance(arguments, Mapping):
        raise DemoScriptError(f"{where}.arguments: must be a mapping of argument names to values")
    return DemoToolCall(name=name.strip(), arguments=dict(arguments))

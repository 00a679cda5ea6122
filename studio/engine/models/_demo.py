"""The Demo model: offline, deterministic, instant (or paced so a demo looks alive).

With a *demo script* (a list of turns in conversation order, carried by the bundled
templates) each agent says its scripted lines in order and group-chat speaker selection
follows the script. Without one, or once an agent's lines are used up, it gives short
role-aware replies and ends the conversation with ``TERMINATE`` after a few turns.

Speaker selection (group chats): after a message with a code block, an eligible agent
that has no scripted turns (the executor; without a script, one named like
``user_proxy``/``executor``) speaks next so the code really runs; otherwise the agent
of the next unused scripted turn, else the candidate who spoke least recently.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._messages import Message, ToolCall
from .._usage import Usage
from ._interface import ModelRequest, ModelResponse, TokenCallback
from ._testing import _pieces

if TYPE_CHECKING:
    from .._control import CancelToken

DEMO_LABEL = "Demo model (offline)"
DEMO_MODEL_NAME = "demo"
TERMINATE = "TERMINATE"


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


DemoScriptItem = DemoTurn | Mapping[str, Any]


def parse_demo_script(items: Iterable[DemoScriptItem] | None) -> tuple[DemoTurn, ...]:
    """Validate a demo script (list of dicts or :class:`DemoTurn`) into turns."""
    if items is None:
        return ()
    if isinstance(items, (str, bytes, Mapping)):
        raise DemoScriptError(
            "demo_script: expected a list of turns like "
            "[{agent: coder, content: '...'}], got " + type(items).__name__)
    return tuple(_parse_turn(item, f"demo_script[{i}]") for i, item in enumerate(items))


def _parse_turn(item: DemoScriptItem, where: str) -> DemoTurn:
    if isinstance(item, DemoTurn):
        item = {"agent": item.agent, "content": item.content,
                "tool_calls": [{"name": c.name, "arguments": dict(c.arguments)}
                               for c in item.tool_calls]}
    if not isinstance(item, Mapping):
        raise DemoScriptError(f"{where}: expected a mapping with 'agent' and 'content' or "
                              f"'tool_calls', got {type(item).__name__}")
    unknown = sorted(set(item) - {"agent", "content", "tool_calls"})
    if unknown:
        raise DemoScriptError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                              "allowed are 'agent', 'content', 'tool_calls'")
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
    return DemoTurn(agent=agent.strip(), content=content, tool_calls=calls)


def _parse_call(call: Any, where: str) -> DemoToolCall:
    if not isinstance(call, Mapping):
        raise DemoScriptError(f"{where}: expected {{name: ..., arguments: {{...}}}}")
    unknown = sorted(set(call) - {"name", "arguments"})
    if unknown:
        raise DemoScriptError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                              "allowed are 'name', 'arguments'")
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


class DemoModel:
    """An offline model for demos and workshops (see the module docstring).

    One instance serves every agent of a team for one run: it keeps a cursor per agent
    into the script. ``token_delay`` paces streaming (seconds per word-sized delta).
    """

    label = DEMO_LABEL
    model = DEMO_MODEL_NAME

    def __init__(self, script: Iterable[DemoScriptItem] | None = None, *,
                 token_delay: float = 0.0, replies_before_end: int = 3,
                 messages_before_end: int = 6) -> None:
        if token_delay < 0:
            raise ValueError("token_delay must be >= 0 seconds")
        self.script: tuple[DemoTurn, ...] = parse_demo_script(script)
        self.token_delay = token_delay
        self.replies_before_end = replies_before_end
        self.messages_before_end = messages_before_end
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget progress: the script starts again and reply counters go back to zero."""
        with self._lock:
            self._used: set[int] = set()
            self._replies: dict[str, int] = {}
            self._call_counter = 0

    @property
    def remaining_turns(self) -> int:
        with self._lock:
            return len(self.script) - len(self._used)

    # -- the ModelClient interface ----------------------------------------------------
    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        from .._control import Cancelled

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        with self._lock:
            if request.purpose == "select_speaker":
                content: str | None = self._select(request)
                calls: tuple[ToolCall, ...] = ()
            elif request.purpose == "summary":
                content, calls = _summary(request.messages), ()
            else:
                content, calls = self._reply(request)
        if on_token is not None and content:
            self._stream(content, on_token, cancel)
        completion = _estimate_tokens(content or "") + 8 * len(calls)
        prompt = sum(_estimate_tokens(m.text) + 4 for m in request.messages)
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cost=0.0,
                      model=DEMO_MODEL_NAME)
        return ModelResponse(content=content, tool_calls=calls, usage=usage,
                             model=DEMO_MODEL_NAME,
                             finish_reason="tool_calls" if calls else "stop")

    def replay(self, request: ModelRequest, response: ModelResponse) -> None:
        """A conversation is being rebuilt from its recording: move on as if this reply had
        just been given (the script's position and the reply counters follow)."""
        with self._lock:
            if request.purpose == "reply":
                self._reply(request)

    # -- purposes ---------------------------------------------------------------------
    def _reply(self, request: ModelRequest) -> tuple[str | None, tuple[ToolCall, ...]]:
        agent = request.agent
        self._replies[agent] = self._replies.get(agent, 0) + 1
        turn = self._take_turn(agent)
        if turn is not None:
            calls = tuple(self._tool_call(agent, c.name, dict(c.arguments))
                          for c in turn.tool_calls)
            return turn.content, calls
        call = self._maybe_call_tool(request)
        if call is not None:
            return None, (call,)
        ending = (self._replies[agent] >= self.replies_before_end
                  or _conversation_length(request.messages) > self.messages_before_end)
        return _role_reply(request, ending, self._replies[agent]), ()

    def _take_turn(self, agent: str) -> DemoTurn | None:
        for exact in (True, False):
            for index, turn in enumerate(self.script):
                if index in self._used:
                    continue
                same = turn.agent == agent if exact else _norm(turn.agent) == _norm(agent)
                if same:
                    self._used.add(index)
                    return turn
        return None

    def _select(self, request: ModelRequest) -> str:
        candidates = list(request.candidates)
        if not candidates:
            return ""
        # the selection prompt comes last and has no name: look at the last named message
        last = next((m for m in reversed(request.messages) if m.name and m.role != "system"),
                    None)
        if last is not None and _has_code(last.text):
            # code waits to be run: hand the turn to an executor (an agent with no scripted
            # turns, or one named like a proxy/executor) so the code really executes
            scripted = {_norm(t.agent) for t in self.script}
            runners = ([n for n in candidates if _norm(n) not in scripted] if self.script
                       else [n for n in candidates if _EXECUTOR_NAME.search(n)])
            runners = [n for n in runners if not (last.name and _norm(n) == _norm(last.name))]
            if runners:
                return runners[0]
        nxt = next((t for i, t in enumerate(self.script) if i not in self._used), None)
        if nxt is not None:
            for name in candidates:
                if name == nxt.agent or _norm(name) == _norm(nxt.agent):
                    return name
            return candidates[0]
        # unscripted: the candidate who spoke least recently (round robin in effect)
        last_spoke = {name: -1 for name in candidates}
        for position, message in enumerate(request.messages):
            for name in candidates:
                if message.name and _norm(message.name) == _norm(name):
                    last_spoke[name] = position
        return min(candidates, key=lambda n: (last_spoke[n], candidates.index(n)))

    def _maybe_call_tool(self, request: ModelRequest) -> ToolCall | None:
        """Without a script: call one offered tool once per conversation, then answer."""
        if not request.tools or request.tool_choice == "none":
            return None
        if any(m.tool_calls or m.role == "tool" for m in request.messages):
            return None
        functions = [t.get("function", t) for t in request.tools]
        chosen = functions[0]
        if isinstance(request.tool_choice, dict):
            wanted = (request.tool_choice.get("function") or {}).get("name")
            chosen = next((f for f in functions if f.get("name") == wanted), chosen)
        arguments = _arguments_for(chosen.get("parameters") or {}, _task(request.messages))
        return self._tool_call(request.agent, str(chosen.get("name", "tool")), arguments)

    def _tool_call(self, agent: str, name: str, arguments: dict[str, Any]) -> ToolCall:
        self._call_counter += 1
        return ToolCall(id=f"call_demo_{self._call_counter}", name=name,
                        arguments=json.dumps(arguments, ensure_ascii=False))

    def _stream(self, text: str, on_token: TokenCallback, cancel: CancelToken | None) -> None:
        from .._control import Cancelled

        pause = threading.Event()  # a private wait when no cancel token is given
        for piece in _pieces(text):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if self.token_delay > 0:
                waited = (cancel.wait(self.token_delay) if cancel is not None
                          else pause.wait(self.token_delay))
                if waited:
                    raise Cancelled()
            on_token(piece)


# -- unscripted, role-aware replies ---------------------------------------------------
_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("planner", ("planner", "plan")),
    ("coder", ("coder", "code", "engineer", "programmer", "developer", "python")),
    ("critic", ("critic", "review", "reviewer", "critique")),
    ("writer", ("writer", "author", "story", "poet", "editor")),
    ("assistant", ("assistant", "helper")),
)


def detect_role(agent: str, system_message: str = "") -> str:
    """The demo role (planner, coder, critic, writer, assistant, other) of an agent."""
    by_name = _first_role(agent)
    if by_name not in ("assistant", "other"):
        return by_name
    by_system = _first_role(system_message)
    if by_system in ("assistant", "other") and re.search(r"\b(code|python)\b",
                                                          system_message, re.I):
        return "coder"  # a generic assistant asked to write code (the classic AutoGen pair)
    return by_system if by_system != "other" else by_name


def _first_role(text: str) -> str:
    for word in re.findall(r"[a-z]+", text.lower().replace("_", " ")):
        for role, keys in _ROLES:  # the earliest role word wins ("you review code" -> critic)
            if word in keys:
                return role
    return "other"


def _role_reply(request: ModelRequest, ending: bool, turn: int = 1) -> str:
    messages = request.messages
    system = next((m.text for m in messages if m.role == "system"), "")
    role = detect_role(request.agent, system)
    task = _snippet(_task(messages), 80) or "the task"
    last = _last(messages)
    last_text = _snippet(_strip_terminate(last.text) if last else "", 100)
    last_who = (last.name if last and last.name else "you")
    if last is not None and last.role == "tool":
        body = f"The tool returned: {last_text or '(no output)'}. That answers {task!r}."
        return _end(body, ending=True)
    ran = _latest_code_result(messages)
    if role == "coder":
        return _coder_reply(task, ran or (last.text if last else ""), ending)
    if role == "planner" and turn > 1:
        body = (f"Progress check on {task!r}: the work so far covers the plan. "
                "Next step: confirm the result and wrap up.")
    elif role == "planner":
        body = (f"Plan for {task!r}:\n1. Clarify what a good result looks like.\n"
                "2. Do the smallest piece of work that shows progress.\n"
                "3. Review it and decide whether we are done.")
    elif role == "critic" and last is not None and last.text.lstrip().startswith("exitcode:"):
        output = _snippet(last.text.split("Code output:", 1)[-1], 100) or "(no output)"
        body = (f"Review: the code ran and printed {output!r}. That answers {task!r}; "
                "I see nothing to fix.")
    elif role == "critic":
        body = (f"Review of {last_who}'s message: it addresses {task!r} clearly. "
                "One improvement: state the main point in the first sentence.")
    elif role == "writer":
        body = (f"Draft: Here is a short piece about {task!r}. It starts with the key idea, "
                "gives one concrete example and ends with a clear takeaway.")
    elif role == "assistant":
        body = (f"Here is my answer to {task!r}: break it into small steps, check each one, "
                "and keep the result simple.")
    else:
        name = request.agent or "Agent"
        body = (f"{name} here. About {last_who}'s point \"{last_text}\": that sounds "
                "reasonable, and I would add one concrete next step.")
    return _end(body, ending)


def _coder_reply(task: str, last_text: str, ending: bool) -> str:
    result = re.match(r"\s*exitcode:\s*(-?\d+)", last_text)
    if result and result.group(1) == "0":
        output = last_text.split("Code output:", 1)[-1].strip()
        body = f"The code ran successfully. Output: {_snippet(output, 120) or '(none)'}"
        return _end(body, ending=True)
    if ending:
        body = ("The code did not work out as planned; let's stop here." if result
                else f"That covers {task!r}; nothing more to add from me.")
        return _end(body, ending=True)
    if result:
        return ("That failed; here is a simpler version:\n\n```python\n"
                f"print({('Done: ' + task)!r})\n```")
    return ("Here is a small Python script for it:\n\n```python\n"
            f"task = {task!r}\n"
            "words = task.split()\n"
            "print(f\"The task has {len(words)} words; the longest is {max(words, key=len)!r}.\")\n"
            "```")


_EXECUTOR_NAME = re.compile(r"proxy|exec|runner|user|human|terminal", re.I)


def _latest_code_result(messages: Sequence[Message]) -> str:
    """The text of the latest code execution result, if any."""
    found = next((m.text for m in reversed(messages) if m.text.lstrip().startswith("exitcode:")),
                 "")
    return found


def _has_code(text: str) -> bool:
    return "```" in text and not re.match(r"\s*exitcode:", text)


def _end(body: str, ending: bool) -> str:
    return f"{body}\n\n{TERMINATE}" if ending else body


def _summary(messages: Sequence[Message]) -> str:
    said = [m for m in messages if m.role != "system" and (m.text.strip() or m.tool_calls)]
    if len(said) > 1 and not said[-1].name and said[-1].role == "user":
        said = said[:-1]  # the summary prompt itself
    parts = []
    for m in said[-3:]:
        text = _strip_terminate(m.text)
        if text.startswith("exitcode:"):
            text = "ran the code, output: " + text.split("Code output:", 1)[-1].strip()
        text = re.sub(r"```.*?(```|$)", "(code)", text, flags=re.S)
        text = text or ", ".join(f"called {c.name}" for c in m.tool_calls)
        parts.append(f"{m.name or m.role}: {_snippet(_first_sentence(text), 90)}")
    return "Summary: " + ("; ".join(parts) if parts else "nothing was said yet.")


# -- helpers --------------------------------------------------------------------------
def _arguments_for(schema: Mapping[str, Any], task: str) -> dict[str, Any]:
    props: Mapping[str, Any] = schema.get("properties") or {}
    required = list(schema.get("required") or props)
    arguments: dict[str, Any] = {}
    number = 2
    for name in required:
        spec = props.get(name) or {}
        kind = spec.get("type", "string")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if "default" in spec:
            arguments[name] = spec["default"]
        elif spec.get("enum"):
            arguments[name] = spec["enum"][0]
        elif kind == "integer":
            arguments[name], number = number, number + 1
        elif kind == "number":
            arguments[name], number = float(number), number + 1
        elif kind == "boolean":
            arguments[name] = True
        elif kind == "array":
            arguments[name] = []
        elif kind == "object":
            arguments[name] = {}
        else:
            arguments[name] = _snippet(task, 60) or "example"
    return arguments


def _estimate_tokens(text: str) -> int:
    return max(round(len(text.split()) * 1.3), len(text) // 4) if text else 0


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def _conversation_length(messages: Sequence[Message]) -> int:
    return sum(1 for m in messages if m.role != "system")


def _task(messages: Sequence[Message]) -> str:
    first = next((m for m in messages if m.role != "system" and m.text.strip()), None)
    return first.text.strip() if first else ""


def _last(messages: Sequence[Message]) -> Message | None:
    return next((m for m in reversed(messages) if m.role != "system"), None)


def _strip_terminate(text: str) -> str:
    stripped = text.strip()
    if stripped.endswith(TERMINATE):
        stripped = stripped[: -len(TERMINATE)].rstrip()
    return stripped


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return match.group(1) if match else text.strip()


def _snippet(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"

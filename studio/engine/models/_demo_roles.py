"""The Demo model's roles and its own words for code, tools and summaries; replies in an
agent's voice when no script has a turn come from ``_demo_voice``."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from .._messages import Message
from ._demo_kinds import changed_reply, changed_result, phrases_for
from ._demo_passages import is_retrieval_prompt, passages_reply
from ._demo_plans import CHANGE_IT
from ._demo_recipes import Recipe, recipe_after, recipe_for
from ._demo_review import code_under_review, review_reply
from ._demo_scene import (
    TERMINATE,
    Scene,
    approves,
    computable,
    is_question,
    latest_code_result,
    request_of,
    spoken,
    wants_no_code,
)
from ._demo_scene import shorten as _snippet
from ._demo_scene import strip_terminate as _strip_terminate
from ._demo_verdict import after_follow_up, is_judge, verdict
from ._demo_voice import speak, voice_of
from ._demo_words import TaskWords
from ._interface import ModelRequest

_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("moderator", ("moderator", "moderate", "moderates", "facilitator", "facilitate",
                   "facilitates", "chair", "chairs", "host", "hosts", "manager")),
    ("planner", ("planner", "plan")),
    ("coder", ("coder", "code", "engineer", "programmer", "developer", "python")),
    ("critic", ("critic", "review", "reviewer", "critique")),
    ("writer", ("writer", "author", "story", "poet", "editor")),
    ("assistant", ("assistant", "helper")),
)


def detect_role(agent: str, system_message: str = "") -> str:
    """The demo role (moderator, planner, coder, critic, writer, assistant, other) of an
    agent: by its name first, then by its system message."""
    by_name = _first_role(agent)
    if by_name not in ("assistant", "other"):
        return by_name
    # what the system message says the agent is ("You are the product manager") decides,
    # not the other roles it mentions ("when the designer and the engineer agree")
    own = _SELF.search(system_message)
    by_system = _first_role(own.group(1) if own else system_message)
    if by_system in ("assistant", "other") and re.search(r"\b(code|python)\b",
                                                          system_message, re.I):
        return "coder"  # a generic assistant asked to write code (the classic AutoGen pair)
    return by_system if by_system != "other" else by_name


_SELF = re.compile(r"\byou\s+are\s+(?:an?\s+|the\s+)?([^.,;:!?\n]+)", re.I)
_CODE_WHEN_IT_HELPS = re.compile(r"\bwhen\s+code\s+would\s+help\b", re.I)
_ASKS_CODE = re.compile(r"\b(?:code|coding|python|script|scripts|program|programs)\b", re.I)


def _first_role(text: str) -> str:
    for word in re.findall(r"[a-z]+", text.lower().replace("_", " ")):
        for role, keys in _ROLES:  # the earliest role word wins ("you review code" -> critic)
            if word in keys:
                return role
    return "other"


def role_reply(request: ModelRequest, ending: bool, task: str = "", *,
               person: Message | None = None, focus: str = "", narrowed: bool = False,
               served: Collection[str] = (), asked: Message | None = None,
               asked_at: int = -1) -> str:
    """A short reply in the agent's voice about ``task`` (default: the opening message).

    ``person``: the message being answered when a person wrote it (the reply answers it
    first); ``focus``: what the latest person's message is about (used instead of the
    task's topic) and ``narrowed`` whether the person kept the team to it alone;
    ``served``: the agents the model speaks for (the team); ``asked``: the latest
    person's message (or what a nested chat asks for), at ``asked_at`` in the spoken
    conversation: what comes after it answers it (a coder codes for it, a writer
    rewrites for it)."""
    messages = request.messages
    system = next((m.text for m in messages if m.role == "system"), "")
    role = detect_role(request.agent, system)
    task = task or opening(messages)
    said = tuple(spoken(messages))
    wanted = "" if asked is None or approves(asked.text) else request_of(asked.text)
    brief = _snippet(wanted or task, 80) or "the task"
    # only what happened since the person's request counts (an earlier run of the code
    # answered the earlier task)
    since = list(said[asked_at + 1:]) if wanted and asked_at >= 0 else list(messages)
    last = _last(messages)
    if last is not None and last.role == "tool":
        output = _snippet(_strip_terminate(last.text), 100)
        body = f"The tool returned: {output or '(no output)'}. That answers {brief!r}."
        return _end(body, ending=True)
    if is_retrieval_prompt(last) and last is not None:
        # the question is in the prompt, among instructions that are not the person's
        return _end(passages_reply(request.agent or "", last, messages), ending=True)
    if role in ("coder", "assistant") and wanted and (
            changed := changed_result(request.agent or "", said, asked_at, wanted, task)):
        return _end(changed, ending=True)
    ran = latest_code_result(since)
    plan_only = bool(wanted) and wants_no_code(wanted)
    # a question or a new figure about a task code can do is for code too ("What about
    # below 1000?"); a new request ("Now plan a rainy day in Paris") goes by its own words
    codable = computable(wanted or task) or bool(wanted) and computable(task) and (
        is_question(wanted) or bool(re.search(r"\d", wanted)))
    if role == "coder" and not ran and not codable and (
            not _ASKS_CODE.search(system) or _CODE_WHEN_IT_HELPS.search(system)):
        # an engineer asked to estimate and weigh risks answers in words, and so does an
        # assistant told to write code "when code would help" (the default assistant)
        role = "other"
    if role == "coder" and not ran and (plan_only or not codable):
        planned = any(m.name and m.name != request.agent and _first_role(m.name) == "planner"
                      for m in since)
        body = (f"No code from me this time: you asked for a plan, not code ({brief!r})."
                if plan_only else f"Nothing for me to compute in {brief!r}: it is not "
                "something code can do, so no script from me.")
        return _end(body + (" The plan above is the answer." if planned else ""), ending=True)
    if role == "coder":
        latest = _last(since)
        recipe = recipe_after(task, wanted) if wanted else recipe_for(task)
        return _coder_reply(brief, ran or (latest.text if latest else ""), ending, recipe)
    if role == "critic" and last is not None and last.text.lstrip().startswith("exitcode:"):
        output = _snippet(last.text.split("Code output:", 1)[-1], 100) or "(no output)"
        body = (f"Review: the code ran and printed {output!r}. That answers {brief!r}; "
                "I see nothing to fix.")
        return _end(body, ending)
    if role == "critic" and wanted and asked is not None and (
            code := code_under_review(said)):
        # a change to code, or a question about it: no redraft of "a short text on it"
        return _end(review_reply(asked, said, code), ending=True)
    agent = request.agent or "agent"
    voice = voice_of(agent, system, role)
    if voice == "planner" and (plan_only or CHANGE_IT.match(wanted)) \
            and not any(m.name == agent for m in since):
        ending = True  # the plan (or the change to it) is all the person asked for
    if wanted and asked is not None and is_question(asked.text) \
            and voice in ("writer", "assistant"):
        ending = True  # the answer is all a question asks for: no new draft follows
    if ending and voice != "moderator" and any(
            m.name != agent and m.name in served and _first_role(m.name or "") == "moderator"
            for m in said):
        ending = False  # the moderator sums up and closes
    scene = Scene(agent=agent, voice=voice,
                  task=TaskWords.of(task or "the task"), said=said,
                  turn=sum(1 for m in said[1:] if m.name == agent) + 1, ending=ending,
                  person=person, focus=focus, narrowed=narrowed,
                  served=frozenset({*served, agent}), asked=asked, asked_at=asked_at)
    if is_judge(agent, system) and after_follow_up(scene):
        # a judge speaks last: its verdict closes the debate, not a question back
        return _end(verdict(scene), ending=True)
    if scene.first_since_asked and (changed := changed_reply(scene)):
        # "Make it shorter." after an errand's or a game's answer: that answer, changed,
        # by whoever gave it, is all that was asked (nothing to redraft after it); in a
        # debate each side says its point shorter, and the judge's verdict closes it
        debate = phrases_for(task).kind == "debate" and any(
            is_judge(name, "") for name in served if name != agent)
        return _end(changed, ending=ending if debate else True)
    return _end(speak(scene), ending)


def _coder_reply(task: str, last_text: str, ending: bool, recipe: Recipe | None = None) -> str:
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
        body = (f"That failed (exit code {result.group(1)}), and the Demo model cannot mend "
                "code: the output above says what went wrong.")
        return _end(body, ending=True)
    if recipe is not None:
        return (f"The Demo model is not an AI, but this is one of the few small programs it "
                f"knows: {recipe.what}, computed for real when the code runs.\n\n"
                f"```python\n{recipe.code}\n```")
    return ("A stand-in script (the Demo model cannot write new code for this; this one "
            "reads your words back, and it really runs):\n\n```python\n"
            f"task = {task!r}\n"
            "words = task.split()\n"
            "print(f\"The task has {len(words)} words; the longest is {max(words, key=len)!r}.\")\n"
            "```")


EXECUTOR_NAME = re.compile(r"proxy|exec|runner|user|human|terminal", re.I)


def has_code(text: str) -> bool:
    return "```" in text and not re.match(r"\s*exitcode:", text)


def _end(body: str, ending: bool) -> str:
    return f"{body}\n\n{TERMINATE}" if ending else body


def summary_of(messages: Sequence[Message]) -> str:
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
def arguments_for(schema: Mapping[str, Any], task: str) -> dict[str, Any]:
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


def estimate_tokens(text: str) -> int:
    return max(round(len(text.split()) * 1.3), len(text) // 4) if text else 0


def norm(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def conversation_length(messages: Sequence[Message]) -> int:
    return sum(1 for m in messages if m.role != "system")


def opening(messages: Sequence[Message]) -> str:
    """The conversation's first message (a group chat's introductions do not count)."""
    first = next((m for m in messages if m.role != "system" and m.text.strip()
                  and (m.meta or {}).get("kind") != "introduction"), None)
    return first.text.strip() if first else ""


def last_said(messages: Sequence[Message]) -> str:
    """The text of the last message (a tool's result included), without TERMINATE."""
    last = _last(messages)
    return _strip_terminate(last.text) if last is not None else ""


def _last(messages: Sequence[Message]) -> Message | None:
    return next((m for m in reversed(messages) if m.role != "system"), None)


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?])(\s|$)", text.strip(), re.S)
    return match.group(1) if match else text.strip()

"""Code that runs only once a reviewer has cleared it: the paper's safeguard pattern (A4).

A code gate stands between an agent's code executor and the code it found: the agent asks the
gate about the exact blocks it is about to run, and runs them only when the gate clears them.
:class:`ClearedBy` clears code that a reviewer agent checked with a tool (the check said SAFE)
and then declared SAFE itself; anything else is refused with the reason, which the agents read.
The gate reads the conversation, not the models' good will: a reviewer saying SAFE about code
its check flagged, or about other code, clears nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ._messages import Message
from .code._interface import CodeBlock

_FENCE = re.compile(r"^\s*```[^\n]*\n(.*?)\n?\s*```\s*$", re.DOTALL)
_LEADING_WORD = re.compile(r"^[\W_]*([A-Za-z]+)")


@dataclass(frozen=True)
class CodeVerdict:
    """What a gate says about code: cleared, or not (why, and whether to ask again later)."""

    cleared: bool
    reason: str = ""
    final: bool = True  # False: no verdict yet; the same code may be cleared later


class CodeGate(Protocol):
    def __call__(self, blocks: Sequence[CodeBlock], messages: Sequence[Message]) -> CodeVerdict:
        """May ``blocks`` run, given the conversation ``messages`` they come from?"""
        ...


@dataclass(frozen=True)
class ClearedBy:
    """Run code only when ``reviewer`` has checked that exact code and cleared it.

    For every block: the reviewer's latest call of ``tool`` whose ``argument`` is the block's
    code (compared line by line, fences and trailing spaces aside) must have returned text
    starting with ``safe``, and the reviewer's next message must start with ``safe`` too.
    Code never checked, or whose check or verdict is pending, is not run yet (``final`` False).
    """

    reviewer: str
    tool: str = "check_code"
    argument: str = "code"
    safe: str = "SAFE"

    def __call__(self, blocks: Sequence[CodeBlock], messages: Sequence[Message]) -> CodeVerdict:
        for number, block in enumerate(blocks, 1):
            verdict = self._verdict(block, messages)
            if not verdict.cleared:
                where = f"block {number} of {len(blocks)}: " if len(blocks) > 1 else ""
                return CodeVerdict(False, where + verdict.reason, verdict.final)
        return CodeVerdict(True)

    def _verdict(self, block: CodeBlock, messages: Sequence[Message]) -> CodeVerdict:
        target = normalise_code(block.code)
        call_at, call_id = -1, ""
        for index, message in enumerate(messages):
            if message.name != self.reviewer:
                continue
            for call in message.tool_calls:
                if call.name == self.tool and normalise_code(
                        _argument(call.arguments, self.argument)) == target:
                    call_at, call_id = index, call.id
        if call_at < 0:
            return CodeVerdict(False, f"{self.reviewer} has not checked this code yet (it must "
                               f"call {self.tool} with the code exactly as written)", final=False)
        result_at = next((i for i in range(call_at + 1, len(messages))
                          if messages[i].role == "tool" and messages[i].tool_call_id == call_id), -1)
        if result_at < 0:
            return CodeVerdict(False, f"{self.tool} has not returned its result yet", final=False)
        check = (messages[result_at].content or "").strip()
        if not check.startswith(self.safe):
            return CodeVerdict(False, f"{self.reviewer}'s {self.tool} found: {_first_line(check)}")
        verdict = next((m for m in messages[result_at + 1:]
                        if m.name == self.reviewer and not m.tool_calls and (m.content or "").strip()),
                       None)
        if verdict is None:
            return CodeVerdict(False, f"{self.reviewer} has not given its verdict yet", final=False)
        word = _LEADING_WORD.match(verdict.content or "")
        if word is None or word.group(1).upper() != self.safe.upper():
            return CodeVerdict(False, f"{self.reviewer} did not clear it: "
                                      f"{_first_line(verdict.content or '')}")
        return CodeVerdict(True)


def normalise_code(code: str) -> str:
    """Code as compared by a gate: without a surrounding fence, trailing spaces, blank ends."""
    fenced = _FENCE.match(code)
    if fenced:
        code = fenced.group(1)
    lines = [line.rstrip() for line in code.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _argument(arguments: str, name: str) -> str:
    try:
        value = json.loads(arguments or "{}")
    except json.JSONDecodeError:
        return ""
    if not isinstance(value, dict):
        return ""
    found = value.get(name)
    return found if isinstance(found, str) else ""


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"

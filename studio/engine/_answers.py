"""Checking a final answer against an answer key, as the MATH benchmark grades answers.

The answer is the last ``\\boxed{...}`` of a message. Two answers are the same when their
normalised LaTeX is the same (``\\dfrac{1}{8}`` = ``\\frac18`` = ``1/8``), when both are
numbers of equal value (``0.125`` = ``\\frac{1}{8}``), or when both are lists of the
same items (in any order; in order for a tuple written in parentheses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import TYPE_CHECKING

from ._human import HumanInputRequest
from ._messages import Message
from ._types import HumanInput, StopReason

if TYPE_CHECKING:
    from ._agent import ConversableAgent, ReplyValue
    from ._context import ChatContext


def boxed(text: str | None) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``) in ``text``."""
    if not text:
        return None
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[begin:i].strip()
        i += 1
    return None


_DROP = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\:", "\\displaystyle", "$", "^\\circ",
         "^{\\circ}", "\\%", "%", "\\$", "degrees", "°")


def normalize(answer: str) -> str:
    """A canonical spelling of a MATH-style answer (spaces, \\dfrac, units of degree...)."""
    text = answer.strip().rstrip(".")
    text = re.sub(r"\\text\{\s*([^}]*)\}", r"\1", text)
    text = re.sub(r"\\mbox\{\s*([^}]*)\}", r"\1", text)
    for token in _DROP:
        text = text.replace(token, "")
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    text = re.sub(r"\\frac(\d)(\d)", r"\\frac{\1}{\2}", text)  # \frac12
    text = re.sub(r"\\frac\{([^{}]*)\}(\d)", r"\\frac{\1}{\2}", text)
    text = re.sub(r"\\frac(\d)\{", r"\\frac{\1}{", text)
    text = re.sub(r"^[a-zA-Z]\s*=\s*", "", text)  # "x = 5" -> "5"
    text = re.sub(r"\s+", "", text)
    text = re.sub(r"(\d),(\d{3})(?!\d)", r"\1\2", text) if re.fullmatch(r"[\d,]+", text) \
        else text  # 1,000 -> 1000 (a lone number with thousands separators)
    return text


def _number(text: str) -> Fraction | None:
    match = re.fullmatch(r"(-?)\\frac\{(-?\d+)\}\{(-?\d+)\}", text)
    try:
        if match:
            value = Fraction(int(match.group(2)), int(match.group(3)))
            return -value if match.group(1) else value
        if re.fullmatch(r"-?\d+/\d+", text):
            return Fraction(text)
        if re.fullmatch(r"-?(\d+\.?\d*|\.\d+)", text):
            return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return None


def equivalent(answer: str, expected: str) -> bool:
    """Whether ``answer`` says the same as ``expected`` (see the module doc)."""
    a, b = normalize(answer), normalize(expected)
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return x == y
    if "," in a and "," in b:
        left, right = a.strip("{}()[]").split(","), b.strip("{}()[]").split(",")
        if len(left) != len(right):
            return False
        if b.startswith("("):  # an ordered pair or tuple: order matters
            return all(equivalent(p, q) for p, q in zip(left, right, strict=True))
        remaining = list(right)
        for item in left:
            match = next((q for q in remaining if equivalent(item, q)), None)
            if match is None:
                return False
            remaining.remove(match)
        return True
    return False


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


class AnswerKey:
    """A reply function that checks a ``\\boxed{}`` answer against the expected answer of
    the task, with code, before the agent's other replies.

    ``answers`` maps tasks (compared without case and extra spaces; the chat's first
    message must contain the task) to their expected answers. A right answer gets a
    "checked" reply ending in TERMINATE; a wrong one says so without giving the answer
    away, and an agent that takes human input first asks the person for a hint (the
    paper's human-in-the-loop math). Other tasks and messages fall through.
    """

    def __init__(self, answers: Mapping[str, str]) -> None:
        self.answers = {_key(task): str(answer) for task, answer in answers.items()}

    def expected_for(self, first_message: str) -> str | None:
        said = _key(first_message)
        return next((answer for task, answer in self.answers.items() if task and task in said),
                    None)

    def __call__(self, agent: ConversableAgent, messages: list[Message],
                 sender: ConversableAgent, ctx: ChatContext) -> tuple[bool, ReplyValue]:
        from ._agent import Stop

        if not messages or messages[-1].role == "tool":
            return False, None
        answer = boxed(messages[-1].content)
        first = next((m.text for m in messages if m.role != "system" and m.text), "")
        expected = self.expected_for(first) if answer is not None else None
        if answer is None or expected is None:
            return False, None
        if agent.auto_reply_count(sender) >= agent.max_consecutive_auto_reply:
            return False, None  # the usual limit applies: let the built-in replies stop
        agent._bump_auto_reply(sender)
        if equivalent(answer, expected):
            return True, Message(
                role="user", name=agent.name,
                content=(f"Checked by code: \\boxed{{{answer}}} matches the expected answer "
                         f"{expected}.\n\nTERMINATE"),
                meta={"kind": "answer_check", "correct": True, "answer": answer,
                      "expected": expected})
        verdict = (f"Checked by code: {answer} is not the expected answer. Find the mistake, "
                   "check it with code, and give the corrected final answer in \\boxed{}.")
        if agent.human_input != HumanInput.NEVER:
            hint = ctx.ask_human(HumanInputRequest(
                agent=agent.name, kind="reply",
                prompt=(f"{sender.name} answered {answer}, which is not the expected answer "
                        f"({expected}). Give {sender.name} a hint, leave empty to let it try "
                        "again on its own, or type exit to stop.")))
            if hint.strip().lower() == "exit":
                return True, Stop(StopReason.HUMAN_EXIT)
            if hint.strip():
                agent._reset_auto_reply(sender)
                verdict += f"\n\nA hint from the person: {hint.strip()}"
        return True, Message(role="user", name=agent.name, content=verdict,
                             meta={"kind": "answer_check", "correct": False, "answer": answer,
                                   "expected": expected})

"""The answer key: \\boxed{} answers graded like MATH, and the person asked for a hint when
a checked answer is wrong (the paper's human-in-the-loop math)."""

from __future__ import annotations

import pytest

from studio.engine import (
    AnswerKey,
    ConversableAgent,
    HumanInput,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
)
from studio.engine._answers import boxed, equivalent

TASK = "What is the remainder when 2^100 is divided by 7?"


@pytest.mark.parametrize("answer, expected", [
    ("\\frac{1}{8}", "\\dfrac18"), ("0.125", "\\frac{1}{8}"), ("1/8", "\\frac{1}{8}"),
    ("x = 2", "2"), ("10.0", "10"), ("45^\\circ", "45"), ("1,000", "1000"),
    ("-2, -1, 1, 2", "2,1,-1,-2"), ("\\text{ 10 }", "10"), ("\\left(3, 4\\right)", "(3,4)"),
])
def test_equivalent_answers(answer, expected):
    assert equivalent(answer, expected)


@pytest.mark.parametrize("answer, expected", [
    ("\\frac{3}{28}", "\\frac{1}{8}"), ("(4, 3)", "(3,4)"), ("1, 2", "1, 2, 3"), ("x", "2"),
])
def test_different_answers(answer, expected):
    assert not equivalent(answer, expected)


def test_the_last_boxed_answer_counts_and_braces_nest():
    assert boxed("first \\boxed{1}, then \\boxed{\\frac{1}{8}} TERMINATE") == "\\frac{1}{8}"
    assert boxed("no answer here") is None
    assert boxed("\\boxed{unclosed") is None


def pair(solver_replies, *, human_input=HumanInput.NEVER, limit=5):
    proxy = ConversableAgent("user", human_input=human_input, max_consecutive_auto_reply=limit,
                             default_auto_reply="Go on.")
    proxy.register_reply(AnswerKey({TASK: "2"}))
    solver = ConversableAgent("solver", model=ScriptedModel(solver_replies),
                              human_input=HumanInput.NEVER)
    return proxy, solver


def test_a_right_answer_is_confirmed_and_ends_the_chat():
    proxy, solver = pair(["2^3 = 8 = 1 mod 7, so the answer is \\boxed{2}. TERMINATE"])
    result = proxy.initiate_chat(solver, TASK)
    check = result.history[-1]
    assert check.content == "Checked by code: \\boxed{2} matches the expected answer 2.\n\nTERMINATE"
    assert check.meta["kind"] == "answer_check" and check.meta["correct"] is True
    assert result.stop_reason == StopReason.TERMINATION


def test_a_wrong_answer_is_sent_back_without_the_expected_one():
    proxy, solver = pair(["It is \\boxed{4}. TERMINATE", "Fixed: \\boxed{2} TERMINATE"])
    result = proxy.initiate_chat(solver, TASK)
    verdicts = [m.content for m in result.history if m.meta.get("kind") == "answer_check"]
    assert verdicts[0].startswith("Checked by code: 4 is not the expected answer.")
    assert "2" not in verdicts[0]  # the answer is not given away
    assert verdicts[1].startswith("Checked by code: \\boxed{2} matches")


def test_the_person_is_asked_for_a_hint_and_can_stop():
    human = ScriptedHuman(["", "Use 2^3 = 1 (mod 7).", ""], then="")
    proxy, solver = pair(["Let me think.", "It is \\boxed{4}. TERMINATE",
                          "With your hint: \\boxed{2}. TERMINATE"],
                         human_input=HumanInput.ALWAYS)
    result = proxy.initiate_chat(solver, TASK, control=RunControl(human=human))
    hint_request = human.requests[1]
    assert "answered 4, which is not the expected answer (2)" in hint_request.prompt
    wrong = next(m for m in result.history if m.meta.get("correct") is False)
    assert wrong.content.endswith("A hint from the person: Use 2^3 = 1 (mod 7).")
    assert result.history[-1].meta.get("correct") is True
    stopper = ScriptedHuman(["", "exit"])
    proxy, solver = pair(["Let me think.", "It is \\boxed{4}. TERMINATE"],
                         human_input=HumanInput.ALWAYS)
    result = proxy.initiate_chat(solver, TASK, control=RunControl(human=stopper))
    assert result.stop_reason == StopReason.HUMAN_EXIT


def test_other_tasks_and_the_reply_limit_fall_through():
    proxy, solver = pair(["\\boxed{4} TERMINATE"])
    result = proxy.initiate_chat(solver, "An unknown problem")
    assert [m.meta.get("kind") for m in result.history] == [None, None]  # no check
    proxy, solver = pair(["\\boxed{4} TERMINATE", "\\boxed{5} TERMINATE"], limit=1)
    result = proxy.initiate_chat(solver, TASK)
    assert result.stop_reason == StopReason.TERMINATION  # the second wrong answer just ends
    assert len(result.history) == 4

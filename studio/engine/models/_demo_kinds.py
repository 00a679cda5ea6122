"""What the Demo model says when the task is no project for a group of people (the stock
ideas, risks, examples and steps of ``_demo_phrases`` are: rotas, surveys, two volunteers
on Monday): a game, an errand, a piece of writing each get phrases of their own, and a
question about them an honest "the Demo model cannot weigh that"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .._messages import Message
from ._demo_phrases import EXAMPLES, IDEAS, RISKS, STEPS
from ._demo_plans import CHANGE_IT, changed_answer, has_result, shorter_steps
from ._demo_scene import (
    Scene,
    by_a_person,
    computable,
    in_few_words,
    said_last,
    strip_terminate,
)
from ._demo_writing import PIECES, SHORTER


@dataclass(frozen=True)
class Phrases:
    """One kind of task's ideas (name, detail), risks (risk, remedy), examples and steps;
    ``{s}`` is what the task is about; ``check`` is what can be said to any question."""

    kind: str
    ideas: tuple[tuple[str, str], ...]
    risks: tuple[tuple[str, str], ...]
    examples: tuple[str, ...]
    steps: tuple[str, ...]
    check: str = ""


PROJECT = Phrases("project", IDEAS, RISKS, EXAMPLES, STEPS)
_GAME = Phrases(
    "game",
    (("a careful move", "one that leaves nothing of ours undefended"),
     ("a move with a plan", "one that prepares the next two"),
     ("a developing move", "a piece that has not moved yet comes into play")),
    (("a piece is left undefended", "check every piece the other side attacks before moving"),
     ("we follow a plan the other side has already stopped", "look at their last move first")),
    ("before each move in {s}, look at what the other side's last move threatens",
     "in {s}, a piece brought into play early is worth more than one moved twice"),
    ("look at what the other side's last move threatens, then make ours",
     "make the next move in {s} and say in one line why"),
    "look first at what the other side's last move threatens")
_ERRAND = Phrases(
    "errand",
    (("the plain way", "do it one step at a time, checking each"),
     ("a quick check first", "see that everything it needs is there before starting")),
    (("something it needs is missing or not ready", "check it all before starting"),
     ("a step is done out of order", "go through the steps in order")),
    ("for {s}, first check that everything needed is at hand",
     "for {s}, say when it is done and what is left, if anything"),
    ("check what {s} needs, then do it one step at a time",
     "do it, then check the result once: {s}, as asked"),
    "check first that everything it needs is there")
_WRITING = Phrases(
    "writing",
    (("the main point first", "the first sentence says what the reader needs to know"),
     ("one thing to do", "the close says what the reader should do next")),
    (("the reader misses the main point", "put it in the first sentence"),
     ("it runs too long", "cut every sentence that repeats another")),
    ("for {s}, the first sentence carries the news and the rest the details",),
    ("write the first sentence of {s} so that it carries the main point",
     "read {s} aloud once and cut what you stumble on"),
    "the main point goes in the first sentence")

_DEBATE = Phrases(
    "debate",
    (("the strongest reason for the motion", "the one that holds even if the other side is "
      "right about the rest"),
     ("the strongest reason against it", "the cost the motion would bring, said plainly"),
     ("a middle way", "what each side could accept from the other")),
    (("each side argues past the other", "answer the other side's strongest point first"),
     ("a claim with nothing behind it", "give one real example for each claim")),
    ("one place where {s} was tried both ways, and what changed there",
     "the evidence on {s} that would change a fair judge's mind, which neither side "
     "has given yet"),
    ("answer the other side's strongest point on {s} in one sentence",
     "say which point on {s} should decide the debate, and why"),
    "a point counts when it answers the other side's strongest one")
_LESSON = Phrases(
    "lesson",
    (("a picture to hold on to", "one everyday thing that works the same way"),
     ("one step at a time", "each step short enough to say back"),
     ("a check question", "one question that shows whether it is understood")),
    (("a word the learner does not know yet", "explain it with an everyday thing first"),
     ("too many steps at once", "one step, then a check")),
    ("say what you now know about {s} in one sentence to a friend, then check it against "
     "the steps above",
     "write down one question about {s} you still have, and look for its answer above"),
    ("say the answer about {s} back in your own words",
     "try one check question about {s}"),
    "a good answer fits the steps explained above")

# a motion to debate ("Homework should be abolished in primary schools."): one statement
# of what something or someone should do, not "we should ..." (a plan) or a question
_MOTION = re.compile(r"^\W*(?:the motion:\s*)?(?!(?:we|i|you|they|our|us)\b)[^.?!]*\b"
                     r"should\b[^.?!]*[.!]?\s*$", re.I)
# a question a teacher explains ("Why is the sky blue?"), not one for a group's own work,
# a count ("How many ...") or a judgement to research ("... and are they worth it?")
_LESSONS = re.compile(r"^\W*(?:why|how(?!\s+(?:many|much|long|far|old|often)\b))\b"
                      r"(?![^?]*\b(?:we|our|us|i|my|me|worth|should|best|better)\b)"
                      r"[^?]*\?\s*$", re.I)
_PLAYS = re.compile(r"\b(?:play(?:ing)?|game|chess|checkers|draughts|opponent|your move)\b",
                    re.I)
_ERRANDS = re.compile(r"^\W*(?:(?:please|let'?s|now)\s+)*(?:put|place|bring|fetch|take|carry|"
                      r"fill|pour|wash|clean|switch|turn on|turn off|set|hang|tidy)\b", re.I)
_WRITES = re.compile(rf"\b(?:draft|write|compose|reword)\b.*\b(?:{PIECES})\b", re.I)


def phrases_for(task: str) -> Phrases:
    """The phrases that fit ``task``: a game's, an errand's, a piece of writing's, a
    debate's, a lesson's, or a group project's (the default: "Get more neighbours to use
    the garden")."""
    return _GAME if _PLAYS.search(task) else _ERRAND if _ERRANDS.match(task) else \
        _WRITING if _WRITES.search(task) else _DEBATE if _MOTION.match(task) else \
        _LESSON if _LESSONS.match(task) else PROJECT


# the kinds of task whose answer one agent gives (a change to it is theirs to make)
_ANSWERED = ("errand", "game", "debate", "lesson")


def changed_reply(scene: Scene) -> str:
    """An assistant's answer to an errand or a game changed as the person asked ("Make it
    shorter."): not "a short text on a clean mug …" redrafted; "" for any other request."""
    asked = scene.asked
    kind = phrases_for(scene.task.task).kind
    if asked is None or kind not in _ANSWERED:
        return ""
    words = in_few_words(asked.text)
    if not CHANGE_IT.match(words):
        return ""
    earlier = said_last(scene.said[:scene.asked_at], scene.agent)
    if kind == "lesson" and SHORTER.search(words) and (short := shorter_steps(words, said_last(
            scene.said[:scene.asked_at], scene.agent, keep=lambda t: "\n2. " in t))):
        return short  # the lesson itself, not the praise of the learner's answer after it
    return changed_answer(words, earlier) if earlier else ""


def changed_result(agent: str, said: Sequence[Message], asked_at: int, words: str,
                   task: str) -> str:
    """A solver's or an assistant's answer (a sum, a probability, a conversion) changed as
    the person asked ("Make it shorter."), by the agent that gave it, before it says
    anything else: "Nothing for me to compute" would not be what they asked; "" when
    ``words`` ask for no change to such an answer (the agent's last message was code, or a
    draft of a piece of writing, which is redrafted)."""
    earlier = said_last(said[:asked_at], agent)
    if asked_at < 0 or not CHANGE_IT.match(words) or not earlier or "```" in earlier \
            or any(m.name == agent for m in said[asked_at + 1:]) \
            or phrases_for(task).kind == "writing" \
            or not (computable(task) or has_result(earlier)):
        return ""
    return changed_answer(words, earlier)


def answered_by(said: Sequence[Message], task: str) -> str:
    """Who gave the answer a person's latest message asks to change ("Make it shorter."
    after an errand or a game: the assistant that did it, the player who said the last
    word), so that they change it; "" when it asks for no such change."""
    named = [m for m in said if m.name and m.role != "tool"]
    if not named or not by_a_person(named, len(named) - 1) \
            or phrases_for(task).kind not in _ANSWERED \
            or not CHANGE_IT.match(in_few_words(named[-1].text)):
        return ""
    return next((m.name or "" for i, m in enumerate(named[:-1][::-1]) if strip_terminate(
        m.text) and not m.text.lstrip().startswith("exitcode:")
        and not by_a_person(named, len(named) - 2 - i)), "")

"""The Demo model's planner taking a change to its plan ("Make it shorter.") as a change
to that plan, not as a new task called "Make it shorter" (``_demo_voice._planner``)."""

from __future__ import annotations

import re

from ._demo_scene import Scene, in_few_words, said_last, sentences
from ._demo_writing import SHORTER

# a change to what the team already has ("make it shorter", "keep the plan to two steps"),
# not a new thing to do
CHANGE_IT = re.compile(r"^\W*(?:(?:please|now|so|ok(?:ay)?|and|then)\W+)*(?:make|keep|cut|"
                       r"shorten|trim|rewrite|rephrase|reword|say|put|turn|write|change)\s+"
                       r"(?:it|this|that|the (?:plan|answer)|your (?:plan|answer))\b", re.I)
_STEP = re.compile(r"^\s*(\d{1,2})[.)]\s+(.+?)(?=^\s*\d{1,2}[.)]\s|\Z)", re.M | re.S)
# where a step's first clause ends: its detail comes after ("write f() that keeps ...")
_DETAIL = re.compile(r",\s|\s(?:that|which|so that|and|because|with|using)\s")


def changed_plan(scene: Scene) -> str:
    """The planner's last plan changed as the latest person asked, or "" when they asked
    for no change to it (or there is no plan of this agent's to change)."""
    if scene.asked is None:
        return ""
    words = in_few_words(scene.asked.text)
    if not CHANGE_IT.match(words):
        return ""
    steps = _STEP.findall(said_last(scene.said[:scene.asked_at], scene.agent,
                                    keep=lambda text: len(_STEP.findall(text)) >= 2))
    if not steps:
        return ""
    texts = [" ".join(text.split()) for _, text in steps]
    if SHORTER.search(words):
        lines = "\n".join(f"{n}. {_first_clause(t)}." for n, t in enumerate(texts, start=1))
        return (f"The same plan, shorter as you asked (\"{words}\"): one short line a "
                f"step.\n{lines}")
    lines = "\n".join(f"{n}. {t}" for n, t in enumerate(texts, start=1))
    return (f"Your change to the plan: \"{words}\". The steps stand until we see what it "
            "changes in each (the Demo model does not rework a plan; a connected model "
            f"does):\n{lines}")


def _first_clause(step: str) -> str:
    """A step without its detail ("coder: add checks for a classic palindrome, a ..." ->
    "coder: add checks for a classic palindrome")."""
    owner, colon, rest = step.partition(": ")
    body = rest if colon and len(owner.split()) <= 2 else step
    head = owner + colon if body is rest else ""
    for cut in _DETAIL.finditer(body):
        if len(body[:cut.start()].split()) >= 2:
            return head + body[:cut.start()].rstrip(" .;:")
    return head + body.rstrip(" .;:")


def changed_answer(words: str, earlier: str) -> str:
    """An earlier answer changed as a person asked (``words``, a :data:`CHANGE_IT`):
    shorter, it is cut to its first sentence (or clause); any other change is for a
    connected model, and the answer is given back as it was, in short."""
    said = sentences(earlier) or [" ".join(earlier.split())]
    first = said[0]
    if SHORTER.search(words) and (result := _with_figures(said)):
        return f"Shorter, as you asked (\"{words}\"):\n{result}"
    if SHORTER.search(words):
        if len(said) == 1 and ", and " in first:  # one sentence: its first clause
            first = first.rsplit(", and ", 1)[0].rstrip(" ,;:") + "."
        return f"Shorter, as you asked (\"{words}\"):\n{first}"
    return (f"You asked me to change my answer (\"{words}\"). The Demo model does not reword "
            f"an answer; a connected model does. In short, it was:\n{first}")


_CLAUSE = re.compile(r",\s+(?:and|so|which)\s+|;\s+|:\s+")
# the parts of a sentence that may each give a figure, and where a part's detail starts
_FIGURED = re.compile(r",\s+and\s+")
_DETAILED = re.compile(r",\s|:\s|;\s")


def _with_figures(said: list[str]) -> str:
    """An answer's result, shorter: the clause with its boxed answer ("... so the
    probability is \\boxed{1/8}." -> "The probability is \\boxed{1/8}."), or, when more
    than one part of it gives a figure, each of them without its detail ("350 F is about
    176.7 C, so set ... And 12% of 2400 is 288." -> "350 F is about 176.7 C. And 12% of
    2400 is 288."); "" for an answer that is neither."""
    boxed = [s for s in said if "\\boxed" in s]
    if boxed:
        clause = next(c for c in reversed(_CLAUSE.split(boxed[-1])) if "\\boxed" in c)
        clause = clause.strip().rstrip(".") + "."
        return clause[0].upper() + clause[1:]
    if any(re.search(r"\[\d+\]", s) for s in said):
        return ""  # an answer that cites passages keeps its first sentence with its source
    kept = [[part for part in _FIGURED.split(s) if re.search(r"\d", part)] for s in said]
    if sum(map(len, kept)) < 2:
        return ""
    return " ".join(" and ".join(map(_without_detail, parts)) + "." for parts in kept if parts)


def _without_detail(part: str) -> str:
    """A part of an answer up to the detail after its figure ("In total, you pay 42
    dollars, so round it up" -> "In total, you pay 42 dollars")."""
    figure = re.search(r"\d", part)
    detail = _DETAILED.search(part, figure.end()) if figure else None
    return (part[:detail.start()] if detail else part).strip(" .,;:")


def has_result(answer: str) -> bool:
    """Whether ``answer`` gives a result: a boxed answer or figures in more than one
    sentence (what :func:`changed_answer` keeps when asked for a shorter one)."""
    return bool(_with_figures(sentences(answer) or [" ".join(answer.split())]))


def shorter_steps(words: str, lesson: str) -> str:
    """A lesson given in steps, shorter as a person asked (``words``): each step's first
    clause, and the sentence that draws the conclusion ("So blue light bounces around the
    whole sky"); "" when ``lesson`` has fewer than two steps."""
    steps = [" ".join(text.split()) for _, text in _STEP.findall(lesson)]
    if len(steps) < 2:
        return ""
    lines = [f"{n}. {_first_clause(sentences(t)[0] if sentences(t) else t)}."
             for n, t in enumerate(steps, start=1)]
    then = next((s for s in sentences(lesson) if s.startswith("So ")), "")
    close = f"\n{_first_clause(then)}." if then else ""
    return f"Shorter, as you asked (\"{words}\"):\n" + "\n".join(lines) + close

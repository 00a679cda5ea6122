"""A judge's last word after a person's follow-up to a debate (``_demo_roles``): a verdict,
never a question back. The Demo model cannot weigh new arguments, so the verdict it gave
stands, said so; with none given, it says honestly that it gives none."""

from __future__ import annotations

import re

from ._demo_kinds import phrases_for
from ._demo_plans import CHANGE_IT
from ._demo_scene import Scene, in_few_words, said_last, sentences, strip_terminate
from ._demo_writing import SHORTER

_JUDGES = re.compile(r"\b(?:judge|judges|referee|jury|arbiter|adjudicator)\b", re.I)
_SELF = re.compile(r"\byou\s+are\s+(?:an?\s+|the\s+)?([^.,;:!?\n]+)", re.I)
_VERDICT = re.compile(r"\bverdict:\s*(.+)", re.I | re.S)


def is_judge(agent: str, system: str) -> bool:
    """Whether the agent judges (by its name, or by what its system message says it is)."""
    own = _SELF.search(system)
    return bool(_JUDGES.search(agent.replace("_", " ")) or own and _JUDGES.search(own.group(1)))


def after_follow_up(scene: Scene) -> bool:
    """Whether a person spoke after the conversation had ended (a follow-up)."""
    return scene.asked is not None and any(
        m.text.rstrip().endswith("TERMINATE") for m in scene.said[:max(scene.asked_at, 0)])


def verdict(scene: Scene) -> str:
    """The judge's verdict after a person's follow-up (``scene.asked``): its earlier one,
    shorter if they asked for that, else named as standing after the sides spoke again."""
    assert scene.asked is not None
    words = in_few_words(scene.asked.text)
    earlier = said_last(scene.said[:scene.asked_at], scene.agent,
                        keep=lambda text: _VERDICT.search(text) is not None)
    found = _VERDICT.search(" ".join(strip_terminate(earlier).split()))
    given = f"Verdict: {found.group(1).strip()}" if found else ""
    if given and found and CHANGE_IT.match(words) and SHORTER.search(words):
        first = (sentences(found.group(1)) or [found.group(1).strip()])[0].rstrip(".")
        return f"Shorter, as you asked (\"{words}\"):\nVerdict: {first}."
    sides = list(dict.fromkeys(m.name for m in scene.said[scene.asked_at + 1:]
                               if m.name and m.name in scene.served and m.name != scene.agent))
    heard = (f"On \"{words}\", I heard {' and '.join(sides)}. " if sides
             else f"On \"{words}\": ")
    if given:
        return (f"{heard}The Demo model cannot weigh new arguments, so my verdict stands as "
                f"I gave it.\n{given}")
    return (f"{heard}Verdict: none from me. The Demo model cannot weigh arguments; connect "
            f"a model on the Models page for a reasoned verdict. What I would judge by: "
            f"{phrases_for(scene.task.task).check or 'which side answered the other'}.")

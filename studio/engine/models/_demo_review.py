"""The Demo model's reviewer when the work is code (``_demo_roles.role_reply``): a
person's change or question is about the code, not about "a short text on add_tag()
below collects tags…", and the Demo model says plainly that it rewrites no code."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._messages import Message
from ._demo_plans import CHANGE_IT
from ._demo_scene import in_few_words, is_question, latest_code_result, shorten, strip_terminate

_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|class)\s+(\w+)", re.M)
_CHECKED = re.compile(r"^\s*(\d+) problem\(s\):", re.M)


def code_under_review(said: Sequence[Message]) -> str:
    """The functions (or classes) of the code the conversation is about ("add_tag()"), or
    "" when it holds no code."""
    names = [f"{name}()" for m in said if not m.text.lstrip().startswith("exitcode:")
             for name in _DEF.findall(m.text)]
    names = list(dict.fromkeys(names))
    return " and ".join(names[:2])


def review_reply(asked: Message, said: Sequence[Message], code: str) -> str:
    """The reviewer's answer to a person's change to, or question about, ``code``: what
    the checks and runs above showed, and what a new version must keep."""
    words = in_few_words(asked.text)
    ran = latest_code_result(said)
    checked = next((found.group(1) for m in reversed(said)
                    if (found := _CHECKED.search(m.text))), "")
    shown = []
    if checked:
        shown.append(f"the static check found {checked} problem(s) in the first version")
    if ran:
        output = shorten(strip_terminate(ran.split("Code output:", 1)[-1]), 70)
        ok = "ran" if ran.lstrip().startswith("exitcode: 0") else "failed"
        shown.append(f"the last version {ok} and printed {output!r}")
    known = "; ".join(shown) or "no check or run of it yet"
    if is_question(asked.text):
        return (f"You asked: \"{words}\" About {code}, what I can go by is what the checks "
                f"showed: {known}. Reading the code itself to answer that is for a "
                "connected model; the Demo model only rehearses the review.")
    change = f"Your change to {code}: {words[:1].lower()}{words[1:].rstrip('.!')}." \
        if CHANGE_IT.match(words) else f"You said: \"{words}\" About {code}:"
    keep = "every check above still passes" if ran else "it runs before it is reviewed"
    fixed = f"the {checked} problem(s) the static check found stay fixed" if checked else \
        "nothing that worked before breaks"
    return (f"{change} The Demo model does not rewrite code, so no new version from me; "
            f"a connected model writes it. What I will check in it:\n"
            f"1. It does what you asked, and {keep}.\n2. {fixed[:1].upper()}{fixed[1:]}.")

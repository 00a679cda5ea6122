"""What the Demo model can say about anything, in its own voice (``_demo_voice``): ideas,
costs, risks and their remedies, examples, questions and next steps. ``{s}`` is what the
conversation is about, ``{f}`` what a person narrowed it to, ``{easiest}`` the item on the
table that needs the least preparation."""

from __future__ import annotations

import re

IDEAS = (
    ("a two-week trial", "change one small thing about {s} and compare the result each Friday"),
    ("a weekly rota", "one pair looks after {s} each week, with a three-point checklist"),
    ("a three-wishes survey", "ask the people closest to {s} for three wishes and grant the "
                              "easiest one first"),
    ("a wall chart", "it shows how {s} is going, updated once a week"),
    ("a borrowed habit", "visit a team that already does well with {s} and copy their best trick"),
    ("a friendly challenge", "teams take on {s} together, with a small prize at the end of "
                             "the month"),
    ("a five-minute slot", "at the end of each day, just for {s}, with music on"),
    ("one clear sign", "a short reminder about {s}, placed where everybody passes"),
)
COSTS = ("one volunteer and ten minutes a week", "a printed checklist and one short meeting",
          "a little money for materials", "a date and two helpers",
          "nothing but everyone agreeing to it", "a whiteboard and a pen")
FREE = re.compile(r"\b(?:cost(?:s|ing)? nothing|free|no (?:money|budget)|without (?:money|"
                   r"spending))\b", re.I)
REMEDIES = ("we agree first what done looks like", "two people share it on a rota",
             "we try it for two weeks before deciding", "we start with what we already have",
             "the people affected choose the version", "we tie it to a habit we already have")
RISKS = (
    ("it depends on one or two keen people, and when they are away it slips back",
     "share it on a weekly rota of pairs"),
    ("it needs time at the busiest moment of the day",
     "attach it to something that already happens, like the last five minutes before a break"),
    ("people may feel it is imposed on them", "let them vote between two versions first"),
    ("it could cost money we do not have",
     "start with what we already have and spend nothing for two weeks"),
    ("the first enthusiasm for it fades after a fortnight",
     "plan a ten-minute check-in after two weeks and change one thing"),
    ("nobody knows when it counts as done", "agree on one simple picture of done"),
)
EXAMPLES = (
    "next Monday two volunteers try it for {s}, and on Friday we compare with the week before",
    "a checklist of three points for {s} by the door, ticked by whoever leaves last",
    "one week with a clear owner for {s} and one week without, so we can see the difference",
    "a photo of {s} at its best, pinned up as the picture of what we are aiming for",
)
# a question back, and how a member answers it when it is put to them
QUESTIONS = (
    ("who decides when {s} counts as done well?",
     "the people who deal with {s} every day; let's ask them to agree on one picture of done"),
    ("what would success with {s} look like in a month, in one sentence?",
     "in a month we see a clear difference in {s}, and nobody had to nag"),
    ("which idea for {s} needs the least preparation?",
     "{easiest}; for {s}, we could start it tomorrow"),
    ("what has been tried for {s} before, and why did it stop?",
     "a one-off effort; it stopped because nobody owned it, so this time we give {s} an owner"),
    ("who would notice first if {s} got better?",
     "the people who deal with {s} every day; let's ask them after the first week"),
)
FOCUSED = ("pick a date for {f} and tell everyone this week",
            "do it with the people we have: one clear job each",
            "keep {f} small: the essentials and nothing more",
            "afterwards, ask three people what to keep for next time")
STEPS = (
    "write the best idea for {s} on one page today and agree on it by Friday",
    "try one idea for {s} for two weeks, then meet for ten minutes: keep it, change it or drop it",
    "ask two people affected by {s} what they think before we commit",
    "pick a start date for {s} and one person who checks on it",
)

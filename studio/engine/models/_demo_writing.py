"""What the Demo model's writers write about (``_demo_voice``): the piece a task asks
for ("a four-line poem"), its title and subject, and an outline of it, as long as the piece
says or as a person's request wants it ("make it three lines", "shorter")."""

from __future__ import annotations

import re

from ._demo_scene import NUMBER_WORDS, Scene, approves, in_few_words, number_of, seed
from ._demo_words import noun_phrase


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


PIECES = ("poem|verse|haiku|limerick|rhyme|song|note|letter|e-?mail|reminder|invitation|"
           "message|announcement|card|flyer|poster|post|speech|toast|story|tale|text|summary|"
           "article|essay|description|tagline|slogan|report|review|blurb|bio|welcome")
_POEM = ("Line 1: {m}, as one picture you can see",
         "Line 2: a sound or a smell that belongs to it",
         "Line 3: a feeling that changes halfway",
         "Line 4: a short last line that smiles")
_LETTER = ("Greeting: warm and short", "Main point: {m}, in one sentence",
           "Details: when, where, and what to bring", "Close: thank the reader and say how to reply")
_TEXT = ("Opening: {m}, in one clear sentence", "Middle: how it works, step by step",
         "Example: one a reader can picture", "Close: the one thing to remember")
_STEPS = ("Before you start: everything it needs, at hand",
          "Step 1: the first thing to do with {m}", "Step 2: the next, one action a step",
          "Done: how to tell it worked")
CHANGES = ("the opening now names {m} in the first words",
           "every sentence is shorter, none over fifteen words",
           "one concrete detail replaces a general one",
           "the close now says what to do next")


_LISTING = frozenset("suggest list name give propose recommend brainstorm find pick choose "
                     "collect gather".split())
_OPTIONS = ("a quick one: five minutes, nothing to prepare",
            "an active one: everybody up and moving",
            "a social one: people talk in pairs",
            "a quiet one: everyone writes first, then shares",
            "a cheap one: paper and pens only")


def piece_of(scene: Scene) -> tuple[str, str, str, tuple[str, ...]]:
    """What is being written: the piece ("a four-line poem"), its title (the whole topic),
    what it is about ("the first day of school") and an outline."""
    topic = scene.task.topic or "the text"
    verb = scene.task.request.split(" ", 1)[0].lower()
    if verb in _LISTING:  # "suggest three warm-up games for a workshop": a list, in outline
        count = next((n for w in topic.split()[:2] if 2 <= (n := number_of(w)) <= 5), 3)
        start = seed(scene.agent, scene.task.task, "options")
        picked = tuple(cap(_OPTIONS[(start + i) % len(_OPTIONS)]) for i in range(count))
        return "the list", topic, noun_phrase(topic), picked
    found = re.match(rf"^(.*?\b(?:{PIECES})s?)\b\s*(.*)$", topic, re.I)
    from ._demo_kinds import phrases_for  # (it reads PIECES from here)

    if phrases_for(scene.task.task).kind == "errand":
        # "Clean the mug in the coffee machine" is a thing to do: written, it is its steps
        piece = f"the steps to {re.sub(r'[.!]+$', '', scene.task.request)}"
        matter = noun_phrase(topic)
        lines = tuple(line.replace("{m}", matter) for line in _STEPS)
        return _resized(scene.request, piece, piece, matter, lines)
    if found and len(found.group(1).split()) <= 4:
        piece, title = found.group(1), topic
        matter = re.sub(r"^(?:about|on|for|that)\s+", "", found.group(2)) or noun_phrase(topic)
    else:
        piece = title = f"a short text on {topic}"
        matter = topic if topic.split(" ", 1)[0].lower() in ("how", "why", "what", "when",
                                                             "where", "who") else noun_phrase(topic)
    kind = piece.lower()
    outline = _POEM if re.search(r"poem|verse|haiku|limerick|rhyme|song", kind) else \
        _LETTER if re.search(r"note|letter|mail|reminder|invitation|message|announcement|card|"
                             r"flyer|post|welcome", kind) else _TEXT
    lines = tuple(line.replace("{m}", matter) for line in outline)
    return _resized(scene.request, piece, title, matter, lines)


LENGTH = re.compile(r"\b(one|two|three|four|five|six|seven|eight|[1-8])[- ](?:short\s+)?"
                    r"(line|sentence)s?\b", re.I)
_SIZED = re.compile(r"\b(one|two|three|four|five|six|seven|eight|[1-8])-(line|sentence)\b",
                    re.I)
SHORTER = re.compile(r"\b(?:shorter|shorten|briefer|fewer|cut (?:it|down)|less long)\b", re.I)


def _resized(asked: str, piece: str, title: str, matter: str, outline: tuple[str, ...]
             ) -> tuple[str, str, str, tuple[str, ...]]:
    """The piece as long as it says ("a two-sentence reminder": two lines of outline) or as
    the person's request ``asked`` wants it ("make it three lines", "shorter"): the outline
    cut (or grown) to that many lines, and the piece named for it ("a four-line poem"
    becomes "a three-line poem"). The request stays in force until the person asks for
    something else."""
    stated = _SIZED.search(piece)
    size = number_of(stated.group(1)) if stated else len(outline)
    unit = stated.group(2).lower() if stated else ""
    wanted = LENGTH.search(asked) if asked else None
    if wanted:
        count, unit = number_of(wanted.group(1)), wanted.group(2).lower()
    elif asked and SHORTER.search(asked) and size > 1:
        count = size - 1
    else:
        count = size
    if count < len(outline):
        # the line that says what it is about, then the close, then the others in order
        main = next((i for i, line in enumerate(outline) if matter in line), 0)
        order = list(dict.fromkeys([main, len(outline) - 1, *range(len(outline))]))
        outline = tuple(outline[i] for i in sorted(order[:count]))
    elif count > len(outline):
        more = ("Line 0: " if outline[0].startswith("Line ") else "More: ") \
            + "one more concrete detail, seen up close"
        outline = (*outline[:-1], *(more,) * (count - len(outline)), outline[-1])
    outline = tuple(_renumber(line, n) for n, line in enumerate(outline, start=1))
    if count != size and stated:
        def sized(text: str) -> str:
            return _SIZED.sub(f"{NUMBER_WORDS.get(count, str(count))}-{unit}", text, count=1)

        piece, title = sized(piece), sized(title)
    return piece, title, matter, outline


def _renumber(line: str, number: int) -> str:
    """An outline line with its "Line N:" label matching its place (after a cut)."""
    return re.sub(r"^Line \d+:", f"Line {number}:", line)


def earlier_change(scene: Scene) -> str:
    """When the person is happy now ("Looks good. Please make it final."), the change they
    asked for before it ("Aim it at children"), for the final version; else ""."""
    asked = scene.asked
    if asked is None or not approves(asked.text):
        return ""
    earlier = [m for m in scene.said[1:scene.asked_at] if m.name == asked.name
               and m.text.strip() and not approves(m.text)]
    return re.sub(r"[\s.!…]+$", "", in_few_words(earlier[-1].text, 120)) \
        if earlier else ""


# what a critic looks for in a piece (``_demo_voice._critic``), and suggests for a draft;
# {m} is what it is about; the steps of an errand are no poem
AIMS = ("a first line that puts the reader right there: {m}",
        "one sound, smell or colour that belongs to {m}",
        "a last line that leaves the reader smiling or acting",
        "short words: read aloud, it should flow in one breath")
SUGGESTIONS = ("open with the most concrete picture of {m}, not a general statement",
               "cut the longest sentence in half: it will read faster",
               "add one detail only someone who knows {m} would notice",
               "end with what the reader should do or feel next",
               "speak to the reader directly, as you would face to face")
_STEP_AIMS = ("one action a step, in the order they are done",
              "the last step says how to tell it worked, for {m}",
              "what is needed is named before the first step")
_STEP_SUGGESTIONS = ("start each step with what to do: take, clean, put",
                     "say where each thing is, so nobody has to search",
                     "cut any step that only repeats another")


def advice_for(piece: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What a critic looks for in ``piece`` and what it suggests for a draft of it."""
    return (_STEP_AIMS, _STEP_SUGGESTIONS) if piece.startswith("the steps to ") \
        else (AIMS, SUGGESTIONS)

"""What the Demo model says when no script has a turn: short replies in the agent's voice
that use the task's own words and move the conversation on (an idea, a risk, an example,
a question back, a next step, a summary at the end), and a moderator that sums up, gives
the floor to the next member and closes.

Every choice is deterministic (agent, turn and task pick the phrasing), a reply quotes at
most a short gist of one message with whatever that message quoted left out, and when a
person has just spoken the reply answers their words first.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ._demo_kinds import phrases_for
from ._demo_phrases import (
    COSTS,
    FOCUSED,
    FREE,
    QUESTIONS,
    REMEDIES,
)
from ._demo_plans import changed_plan
from ._demo_scene import (
    NUMBER_WORDS,
    Scene,
    approves,
    audience,
    fits,
    gist,
    in_few_words,
    is_question,
    items,
    pick,
    request_of,
    shorten,
    strip_terminate,
    unquoted,
    wants_no_code,
    when_of,
    without_no_code,
)
from ._demo_words import TaskWords, is_common
from ._demo_writing import CHANGES, LENGTH, SHORTER, advice_for, earlier_change, piece_of
from ._demo_writing import cap as _cap

# -- voices ---------------------------------------------------------------------------------
_FLAVOURS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ideas", ("optimist", "dreamer", "creative", "idea", "ideas", "innovator", "visionary",
               "enthusiast", "brainstormer", "inventor", "propose", "proposes")),
    ("risks", ("realist", "sceptic", "skeptic", "pessimist", "devil", "risk", "risks",
               "pragmatist", "cost", "costs", "feasibility", "auditor", "engineer",
               "estimate")),
    ("research", ("researcher", "research", "scientist", "expert", "historian", "librarian",
                  "facts", "fact", "analyst")),
    ("learner", ("student", "learner", "pupil", "newcomer", "beginner", "child", "kid")),
    ("teacher", ("teacher", "tutor", "coach", "mentor", "explain", "explains", "teach")),
)
_EDITOR = re.compile(r"\bedit(?:or|s)?\b|\bpolish", re.I)


def voice_of(agent: str, system: str, role: str) -> str:
    """How an agent without script lines talks: ``moderator``, ``planner``, ``critic``,
    ``writer``, ``editor``, ``assistant``, ``ideas``, ``risks``, ``research``, ``learner``,
    ``teacher`` or ``other``; ``role`` is the agent's demo role (``detect_role``)."""
    name = agent.lower().replace("_", " ")
    if role == "writer" and (_EDITOR.search(name) or (_EDITOR.search(system) and
                                                      "writer" not in name)):
        return "editor"
    if role != "other":
        return role
    for text in (name, system.lower()):
        for word in re.findall(r"[a-z]+", text):
            for flavour, keys in _FLAVOURS:
                if word in keys:
                    return flavour
    return "other"


def _fill(text: str, scene: Scene) -> str:
    text = text.replace("{s}", scene.thing)
    return text.replace("{easiest}", _cap(_easiest(scene))) if "{easiest}" in text else text


def _low(text: str) -> str:
    """A sentence's start lower-cased to go on another sentence ("A rota" -> "a rota"),
    unless it is a name or an abbreviation ("Maria", "NASA")."""
    first, _, rest = text.partition(" ")
    if first[1:2].isupper() or (len(first) > 1 and not is_common(first)
                                and rest.split(" ", 1)[0].lower() not in _OBJECTS):
        return text  # "Maria and the team"; but "Aim it at children" is a request
    return text[:1].lower() + text[1:]


# words after a verb, not a name: "Aim it at ...", "Give them ...", "Cut the ..."
_OBJECTS = frozenset("""it them this that these those the a an me us him her more less some
    all our my your their up down out off""".split())


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _fresh(scene: Scene, options: tuple[str, ...], count: int, *more: object) -> list[str]:
    """``count`` of ``options`` (filled) that nobody said yet, chosen by agent, turn, task."""
    start = scene.key(*more)
    chosen: list[str] = []
    for step in range(len(options)):
        option = _fill(options[(start + step) % len(options)], scene)
        if not scene.mentioned(option):
            chosen.append(option)
        if len(chosen) == count:
            break
    return chosen or [_fill(options[start % len(options)], scene)]


def _ideas_fresh(scene: Scene, count: int, *more: object) -> list[tuple[str, str]]:
    """``count`` ideas (name, detail) whose names nobody said yet."""
    start = scene.key("idea", *more)
    chosen = []
    for step in range(len(ideas := phrases_for(scene.task.task).ideas)):
        name, detail = ideas[(start + step) % len(ideas)]
        if not scene.mentioned(name):
            chosen.append((name, _fill(detail, scene)))
        if len(chosen) == count:
            break
    return chosen or [(ideas[start % len(ideas)][0], _fill(ideas[start % len(ideas)][1],
                                                              scene))]


def _idea(scene: Scene, *more: object) -> str:
    name, detail = _ideas_fresh(scene, 1, *more)[0]
    return f"{name} ({detail})"


def _easiest(scene: Scene, who: str = "") -> str:
    """The item of the latest list that reads shortest (the least to prepare); for ``who``
    (a group of people), one that is not named for another group when there is one."""
    lists = scene.lists()
    if not lists:
        return _ideas_fresh(scene, 1, "easiest")[0][0]
    fitting = [i for i in lists[0] if fits(i, who)] if who else []
    return scene.in_sentence(min(fitting or lists[0], key=len))


def _risk(scene: Scene) -> str:
    risks = phrases_for(scene.task.task).risks
    risk, remedy = risks[scene.key("risk") % len(risks)]
    return f"one risk for {scene.thing}: {risk}. To make it easier: {_fill(remedy, scene)}."


def _example(scene: Scene) -> str:
    return f"For example: {_fresh(scene, phrases_for(scene.task.task).examples, 1, 'example')[0]}."


def _question(scene: Scene) -> str:
    others = scene.others()
    passed = _persons_question(scene)
    if passed:  # the person's question goes round the table, not one about the old task
        who = others[0] if others else "all"
        return f"A question for {who}: {passed} What would you add?"
    asked = _fresh(scene, tuple(q for q, _ in QUESTIONS), 1, "question")[0]
    return f"A question for {others[0]}: {asked}" if others else f"A question for all: {asked}"


def _persons_question(scene: Scene) -> str:
    """The latest person's question, to pass on to a team member ("which is easiest for
    retired people?"), or "" when they asked none (or were only happy)."""
    if not scene.request or scene.asked is None or not is_question(scene.asked.text):
        return ""
    asked = unquoted(request_of(scene.asked.text))
    questions = [q for q in re.split(r"(?<=[.!?])\s+", asked.strip()) if q.endswith("?")]
    return _low(shorten(questions[-1], 100)) if questions else ""


def _step(scene: Scene) -> str:
    return f"Next step: {_fresh(scene, phrases_for(scene.task.task).steps, 1, 'step')[0]}."


def _asked_me(scene: Scene) -> str:
    """The answer when the latest message puts one of the stock questions (or a person's
    question, passed on) to this agent."""
    latest = scene.latest
    if latest is None or latest.name == scene.agent or scene.agent.lower() not in \
            latest.text.lower():
        return ""
    passed = _persons_question(scene)
    if passed and latest.name in scene.served and passed.lower() in latest.text.lower():
        return _answer_passed(scene, latest.name or "")
    for question, answer in QUESTIONS:
        if _fill(question, scene).lower() in latest.text.lower():
            return f"To {latest.name}'s question: {_fill(answer, scene)}."
    return ""


def _answer_passed(scene: Scene, asker: str) -> str:
    """This agent's answer to a person's question a team member passed on: another item of
    the list (one not named for another group of people) than the ones already named since
    the question, or an idea of its own."""
    assert scene.asked is not None
    who = audience(scene.asked.text)
    fitting = [i for i in (scene.lists() or [[]])[0] if fits(i, who)]
    since = scene.said[scene.asked_at + 1:]
    fresh = [i for i in fitting if not any(i.lower() in m.text.lower() for m in since)]
    for_whom = f" for {who}" if who else ""
    if fresh:
        return (f"To {asker}'s question: my answer{for_whom} is {scene.in_sentence(min(fresh, key=len))}, "
                "the next easiest to start.")
    return f"To {asker}'s question: my answer{for_whom} is {_idea(scene, 'passed')}."


def _about_latest(scene: Scene) -> str:
    """A short reference to the latest team member's message, or "": the items it lists or
    names, else just whose point it is (it is not quoted back at them word for word)."""
    latest = scene.latest
    if scene.person is not None or latest is None or latest.name not in scene.served \
            or latest.name == scene.agent:
        return ""
    listed = items(latest.text)
    if listed:
        return f"On {latest.name}'s list ({_and([scene.in_sentence(i) for i in listed[:3]])}): "
    named = [i for i in scene.on_table() if i.lower() in latest.text.lower()]
    if named:  # "my answer is adopt-a-bed for a month, ...": the pick, by its name
        return f"On {latest.name}'s pick, {scene.in_sentence(named[0])}: "
    return f"Building on {latest.name}'s point: " if gist(latest.text, 60) else ""


# -- answering a person -----------------------------------------------------------------------
def answer_person(scene: Scene) -> str:
    """The first lines of a reply to what a person just said: their words, answered."""
    person = scene.person
    if person is None:
        return ""
    words = in_few_words(person.text)
    if approves(person.text):
        return "Glad it works for you."
    if is_question(person.text) and (check := phrases_for(scene.task.task).check):
        return (f"You asked: \"{words}\" The Demo model cannot weigh that for {scene.thing}; "
                f"a connected model answers it. What holds either way: {check}.")
    if is_question(person.text):
        when = when_of(person.text)
        fit = f", so we can try it {when}" if when else ", so we can start this week"
        if scene.focus:
            name, detail = _ideas_fresh(scene, 1, "answer")[0]
            return f"You asked: \"{words}\" Good point. My answer: {name} for it: {detail}."
        who = audience(person.text)
        check = f" Whether it suits {who} is for them to say: ask two of them first." \
            if who else ""
        if scene.lists():
            return (f"You asked: \"{words}\" My answer{' for ' + who if who else ''}: start "
                    f"with {_easiest(scene, who)}: of our list it needs the least "
                    f"preparation{fit}.{check}")
        return f"You asked: \"{words}\" My answer: {_idea(scene, 'answer')}{fit}.{check}"
    if scene.voice in ("writer", "assistant", "planner"):
        return ""  # the new draft (or plan) says what changed, in their words
    if scene.kept_to:
        return f"You said: \"{words}\" Understood: we keep to {scene.kept_to}."
    if scene.focus:
        return f"You said: \"{words}\" Understood: then we focus on {scene.focus}."
    if scene.count:
        return f"You said: \"{words}\" Understood: {NUMBER_WORDS[scene.count]}, no more."
    if items(person.text):
        return f"You said: \"{words}\""
    return f"You said: \"{words}\" Understood, I take that on board."




def lead_for_script(person_text: str) -> str:
    """A line that takes in a person's words before a scripted turn is said."""
    words = shorten(unquoted(strip_terminate(person_text)), 90)
    if is_question(person_text):
        return f"Taking in your question (\"{words}\"):"
    return f"Taking in what you said (\"{words}\"):"


# -- the voices ----------------------------------------------------------------------------------
def speak(scene: Scene) -> str:
    """The reply (without TERMINATE) of the agent in ``scene``."""
    lead = answer_person(scene)
    body = _VOICES.get(scene.voice, _other)(scene)
    return f"{lead}\n\n{body}" if lead and body else lead or body


def _summary_of(scene: Scene) -> str:
    """What the other members said lately, one short clause each, no quotes."""
    points: list[str] = []
    heard: set[str] = set()
    for message in scene.from_team()[-2:]:
        listed = [scene.in_sentence(i) for i in items(message.text)]
        if listed and heard & {i.lower() for i in listed}:
            points.append(f"{message.name} went through each of them")
        elif listed:
            points.append(f"{message.name} proposed {_and(listed[:3])}")
        elif said := gist(message.text, 55):
            points.append(f"{message.name}: {_low(said)}")
        heard |= {i.lower() for i in listed}
    return "; ".join(points)


def _moderator(scene: Scene) -> str:
    others = scene.others()
    if scene.ending:
        thanks = f" Thank you, {_and(others)}." if others else " Thank you all."
        if scene.focus and scene.narrowed and not scene.kept_to:  # down to one thing
            plan = [_cap(line.replace("{f}", scene.focus)) for line in FOCUSED]
            lines = "\n".join(f"{n}. {line}." for n, line in enumerate(plan, start=1))
            return f"To sum up: we put everything into {scene.focus}.\n{lines}\n\n{thanks[1:]}"
        count = scene.count or 3
        table = scene.short_list()[:count] or [n for n, _ in _ideas_fresh(scene, count, "close")]
        lines = "\n".join(f"{n}. {_cap(item)}" for n, item in enumerate(table, start=1))
        also = f"\n\nAnd for {scene.focus}, as you asked: {_idea(scene, 'also')}." \
            if scene.focus and not scene.kept_to and not scene.count else ""
        kept = f", kept to {scene.kept_to}" if scene.kept_to else ""
        step = _step(replace(scene, focus=""))
        return f"To sum up on {scene.task_thing}{kept}:\n{lines}{also}\n\n{step}{thanks}"
    if not others and scene.person is None:
        return (f"Our question: {scene.task.question} One point each, short and concrete. "
                "Who has a first idea?")
    summary = _summary_of(scene) if scene.person is None else ""
    so_far = f"So far: {summary}. " if summary else ""
    nxt = others[0] if others else "everyone"
    wanted = _wanted(scene) if scene.person is not None else ""
    if wanted:  # the floor goes on with what the person asked for, not a stock question
        return f"{so_far}Over to you, {nxt}: {wanted}, please."
    passed = _persons_question(scene) if scene.person is not None else ""
    if passed:  # ... or with the question they asked
        return f"{so_far}Over to you, {nxt}: {passed}"
    asked = _fresh(scene, tuple(q for q, _ in QUESTIONS), 1, "ask")[0]
    return f"{so_far}Over to you, {nxt}: {asked}"


def _wanted(scene: Scene) -> str:
    """What a person asked the team for, as a request to pass on ("two ideas that cost
    nothing"), or "" (a question, a thanks, or nothing that asks for items)."""
    if not scene.request or (scene.asked is not None and is_question(scene.asked.text)):
        return ""
    if scene.kept_to or scene.count:
        return _how_many(scene, NUMBER_WORDS.get(scene.count, ""))
    return f"your ideas for {scene.focus}" if scene.focus else ""


def _how_many(scene: Scene, number: str, kind: str = "ideas") -> str:
    """``number`` items of the kind a person asked for: "two ideas that cost nothing",
    "three ideas for the garden"."""
    kept = scene.kept_to
    if kept and kept.split(" ", 1)[0].lower() in NUMBER_WORDS.values():
        return kept  # the person said how many ("two games for the class")
    return f"{number} {kept or f'{kind} for {scene.thing}'}".strip()


def _ideas(scene: Scene) -> str:
    answer = _asked_me(scene)
    if scene.ending:
        best = scene.in_sentence(scene.on_table()[0]) if scene.on_table() else _idea(scene)
        return f"{answer} My favourite for {scene.thing}: {best}, quick to start and easy to see.".lstrip()
    if scene.turn == 1 or scene.person is not None or (
            scene.first_since_asked and not is_question(scene.asked.text if scene.asked else "")):
        count = scene.count or 3
        chosen = _ideas_fresh(scene, count, "ideas")
        lines = "\n".join(f"{n}. {_cap(name)}: {detail}."
                          for n, (name, detail) in enumerate(chosen, start=1))
        head = _how_many(scene, NUMBER_WORDS.get(len(chosen), str(len(chosen))),
                         "idea" if len(chosen) == 1 else "ideas")
        asked = f", as you asked ({_low(scene.request)})" if scene.answering \
            and not scene.kept_to else ""
        return f"{_cap(head)}{asked}:\n{lines}"
    if answer:
        return f"{answer} And one more idea: {_idea(scene, 'more')}."
    if (scene.turn + scene.key("move")) % 2:
        lead = _about_latest(scene)
        return f"{lead}what if we add {_idea(scene, 'build')}?" if lead \
            else f"One more idea: {_idea(scene, 'build')}."
    return _example(scene)


def _risks(scene: Scene) -> str:
    latest = scene.latest
    listed = items(latest.text)[:5] if latest is not None and latest.name != scene.agent else []
    if len(listed) >= 2 and not scene.ending:
        first = scene.key("costs")
        costs = COSTS if not FREE.search(scene.request) else \
            tuple(c for c in COSTS if "money" not in c)  # "ideas that cost nothing"
        lines = [f"{n}. {_cap(item)}: takes {costs[(first + n) % len(costs)]}; easier if "
                 f"{REMEDIES[(first + 2 * n) % len(REMEDIES)]}."
                 for n, item in enumerate(listed, start=1)]
        return f"What each idea for {scene.thing} takes:\n" + "\n".join(lines)
    answer = _asked_me(scene)
    if scene.ending:
        return (f"{answer} In short: the safest start for {scene.thing} is "
                f"{_easiest(scene)}; we add the rest once it works.").lstrip()
    if answer:
        return f"{answer} {_step(scene)}"
    if (scene.turn + scene.key("move")) % 2:
        lead = _about_latest(scene)
        return f"{lead}{_risk(scene)}" if lead else _cap(_risk(scene))
    return _step(scene)


def _research(scene: Scene) -> str:
    return _explain(scene, "research")


# -- writing: drafts in outline (the Demo model sketches the shape; a real model writes) ----

def _writer(scene: Scene) -> str:
    if scene.request and scene.asked is not None and is_question(scene.asked.text):
        # a question is no change to make ("Your change: which is cheapest?"): it is
        # answered (by ``answer_person`` when the person just spoke), the piece left as is
        return "" if scene.person is not None else answer_person(replace(
            scene, person=scene.asked))
    piece, title, matter, outline = piece_of(scene)
    latest = scene.latest
    helper = latest.name if latest is not None and latest.name in scene.served \
        and latest.name != scene.agent else ""
    asked = scene.request if scene.answering else ""
    lines = "\n".join(f"- {line}." for line in outline)
    person = scene.asked if asked else None
    if scene.ending:
        # the final version goes to the person: the piece, not thanks to a team member
        # they may never see (a nested critic); who helped is said in the heading
        helped = f", with {helper}'s points taken in" if helper else ""
        asked = asked or earlier_change(scene)
        if asked:  # the person's last change goes in too
            return (f"Final version of {title}, changed as you asked{helped}, in outline:\n"
                    f"- Your change: {_low(asked)}.\n{lines}")
        return f"Final version of {title}{helped}, in outline:\n{lines}"
    if person is not None and (scene.person is not None or scene.first_since_asked):
        after = f", with {helper}'s points in mind" if helper and scene.person is None else ""
        return (f"New draft of {piece}, rewritten as you asked{after}, in outline:\n"
                f"- Your change: {_low(asked)}.\n{lines}")
    if scene.turn == 1:
        after = f", with {helper}'s points in mind" if helper else ""
        return f"First draft of {title}{after}:\n{lines}"
    change = pick(CHANGES, scene.agent, scene.task.task, scene.turn).replace("{m}", matter)
    if person is not None:
        return (f"Draft {scene.turn} of {piece}, changed as you asked.\n"
                f"- Your change: {_low(asked)}.\n{lines}")
    if helper and latest is not None:
        asked_for = items(latest.text)
        said = asked_for[0] if asked_for else gist(latest.text, 60)
        taken = f"I followed {helper}'s suggestion: {_low(said)}." if said else \
            f"I took in {helper}'s notes."
    else:
        taken = "I went over it once more."
    return f"Draft {scene.turn} of {piece}. {taken} Also, {change}.\n{lines}"


def _editor(scene: Scene) -> str:
    _, title, matter, _ = piece_of(scene)
    latest = scene.latest
    writer = f"{latest.name}'s" if latest is not None and latest.name in scene.served \
        and latest.name != scene.agent else "the"
    return (f"Edited version of {title}: I kept {writer} structure, put {matter} in the first "
            "sentence, cut every sentence longer than twenty words and ended on the next step. "
            "It is ready to share.")


def _critic(scene: Scene) -> str:
    piece, _, matter, _ = piece_of(scene)
    aims, suggestions = advice_for(piece)
    latest = scene.latest
    asked = scene.request if scene.answering and scene.asked is not None \
        and not is_question(scene.asked.text) else ""  # a question is no change to check
    if scene.ending:
        kept = f" and keeps to what was asked ({_low(asked)})" if asked else ""
        opens = "open" if piece.startswith("the steps") else "opens"
        return f"This works: {piece} {opens} on {matter}{kept}, and stays concrete. Good to go."
    if asked and scene.turn == 1:  # asked to change it: what the new draft must do
        aim = _fresh(scene, aims, 1, "aims")[0].replace("{m}", matter)
        how = "every line earns its place, none is filler" if LENGTH.search(asked) \
            or SHORTER.search(asked) else "all the way through, not just in the first line"
        return (f"Before the new draft of {piece}, two things I will look for:\n"
                f"1. {_cap(asked)}: {how}.\n"
                f"2. {_cap(aim)}.")
    before = latest is None or latest.name not in scene.served or latest.name == scene.agent
    if before and scene.turn == 1:
        looks = [a.replace("{m}", matter) for a in _fresh(scene, aims, 2, "aims")]
        lines = "\n".join(f"{n}. {_cap(a)}." for n, a in enumerate(looks, start=1))
        return f"Before the first draft of {piece}, two things I will look for:\n{lines}"
    two = [s.replace("{m}", matter) for s in _fresh(scene, suggestions, 2, "suggest")]
    lines = "\n".join(f"{n}. {_cap(s)}." for n, s in enumerate(two, start=1))
    kept = f" It takes in the change you asked for ({_low(asked)})." if asked else ""
    return f"Two suggestions for this draft of {piece}:{kept}\n{lines}"


_VERBISH = frozenset("""move organise organize run hold host set build start launch find get
    make prepare arrange book buy sell open close clean fix change teach learn visit plan""".split())
_PLAN_FOR = re.compile(r"^(?:(?:a|the|my|our|your)\s+)?plan\s+(?:for|of|to)\s+", re.I)


def _planner(scene: Scene) -> str:
    asked = scene.asked
    if scene.first_since_asked and asked is not None and (changed := changed_plan(scene)):
        return changed  # "Make it shorter.": the plan it has, changed
    if scene.first_since_asked and asked is not None and not is_question(asked.text):
        # a new request: a new plan, in its own words (all of the answer, if it is a plan
        # only: the reply then ends the conversation)
        words = TaskWords.of(request_of(asked.text))
        plan_only = wants_no_code(asked.text)
        if plan_only and (not words.topic or wants_no_code(words.topic)):
            # "A plan only this time: how to move the office": what comes after it
            words = TaskWords.of(without_no_code(request_of(asked.text))) or words
        about = _PLAN_FOR.sub("", words.topic) or scene.request
        first = about.split(" ", 1)[0]
        doing = first.lower() in _VERBISH  # "move the office": a plan to do it
        head = f"New plan: {_cap(words.request or scene.request)}" if not plan_only else \
            f"New plan {'to' if doing else 'for'} {about} (a plan only, no code, as you asked):"
        looks = f"once we {about}" if doing else f"for {about}"
        return (f"{head}\n"
                f"1. Agree what a good result looks like {looks}, in one sentence.\n"
                "2. List the options, then keep the ones that fit everyone.\n"
                "3. Put them in order, and name who checks each one.\n"
                "(An outline: the Demo model knows no details; a connected model fills "
                "them in.)")
    if scene.ending:
        return (f"The plan for {scene.thing} is complete: the goal is agreed and the first "
                f"step is clear. {_step(scene)}")
    if scene.turn == 1:
        said = re.sub(r"[\s.!?…]+$", "", shorten(scene.task.task, 90)) or scene.thing
        return (f"Plan: {said}\n1. Agree what a good result looks like for {scene.thing}.\n"
                f"2. Start with {_idea(scene, 'plan')}.\n"
                "3. Review after two weeks and decide: keep, change or drop.")
    latest = scene.latest
    done = f"{latest.name}'s input covers step {min(scene.turn, 3)}. " \
        if latest is not None and latest.name in scene.served and latest.name != scene.agent \
        else ""
    return f"Progress check on {scene.thing}: {done}{_step(scene)}"


# voices that explain or ask: (first turn, a later turn, the last turn); {t} is the topic as
# the task says it ("how bees make honey"), {s} the thing it is about ("honey")
_EXPLAINING = {
    "research": ("Notes on {t} (the points a good answer covers; the Demo model cannot look "
                 "facts up):\n- The short answer, in one sentence.\n- How it works, step by "
                 "step.\n- One number worth remembering.\n- A common mix-up, and the "
                 "correction.\n- One example a reader can picture.",
                 "One more note on {t}: {example}",
                 "That covers {t}: the short answer, how it works, and one example."),
    "teacher": ("Let's work out {t} step by step:\n1. Start from what you already know about "
                "{s}: two facts.\n2. Ask what happens first, and what follows from it.\n3. "
                "Check it with one example you can picture.",
                "{example} Try saying it back in your own words.",
                "Good work on {t}. Remember the one-sentence answer and the example."),
    "learner": ("I am still puzzling over {t}. My question: {question}",
                "Thanks. I am still puzzling over {s}. My question: {question}",
                "I think I get {t} now. Thank you!"),
}
_PUZZLES = ("what is the simplest example of {s}?", "why does {s} matter to people like me?",
            "what do people usually get wrong about {s}?",
            "how would I explain {s} to a friend in one sentence?")


def _explain(scene: Scene, voice: str) -> str:
    first, later, last = _EXPLAINING[voice]
    text = last if scene.ending else first if scene.turn == 1 else later
    if "{example}" in text:
        text = text.replace("{example}", _example(scene))
    if "{question}" in text:
        text = text.replace("{question}", _fresh(scene, _PUZZLES, 1, "learn")[0])
    return _fill(text.replace("{t}", scene.task.topic or scene.thing), scene)


def _other(scene: Scene) -> str:
    answer = _asked_me(scene)
    if scene.ending:
        step = _step(scene)
        step = "" if scene.mentioned(step) else f" {step}"  # no line said twice
        return f"{answer} In short, for {scene.thing}: {_easiest(scene)}.{step}".lstrip()
    if answer:
        return f"{answer} {_example(scene)}"
    moves = ("idea", "risk", "example", "question", "step")
    first = (scene.turn - 1 + scene.key("move")) % len(moves)
    lead = _about_latest(scene)
    for move in (moves[(first + n) % len(moves)] for n in range(len(moves))):
        said = {"idea": lambda: _idea(scene), "risk": lambda: _risk(scene),
                "example": lambda: _example(scene), "question": lambda: _question(scene),
                "step": lambda: _step(scene)}[move]()
        if scene.mentioned(said):
            continue  # said already (a game or an errand has few lines): another move
        if move == "idea":
            return f"{lead}what if we tried {said}?" if lead \
                else f"An idea for {scene.thing}: {said}."
        return f"{lead}{said}" if move == "risk" and lead else _cap(said)
    return f"Nothing to add from me on {scene.thing} that was not said above."


_VOICES = {"moderator": _moderator, "ideas": _ideas, "risks": _risks, "research": _research,
           "writer": _writer, "editor": _editor, "critic": _critic, "planner": _planner,
           "assistant": _writer, "learner": lambda scene: _explain(scene, "learner"),
           "teacher": lambda scene: _explain(scene, "teacher"), "other": _other}

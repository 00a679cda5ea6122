"""A small household text world in the style of ALFWorld, with goals read from the task.

The goal comes from the task's own words: "put a clean mug in the coffee machine", "heat
an apple and put it on the dining table, then put a clean plate there too", "put two
eggs in the fridge". Each requirement is an object, the states it must be in (clean,
hot, cold) and where it must end up. The world keeps no hidden state: it is rebuilt by
replaying the actions already taken in the conversation (see ``ToolContext``), so the
environment and the grounding agent's facts always agree, in any process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

# where everything starts; closable places start closed
START: dict[str, list[str]] = {
    "countertop 1": ["bread", "knife", "apple 1"],
    "countertop 2": ["lettuce", "kettle"],
    "cabinet 1": ["mug"],
    "cabinet 2": ["plate", "bowl"],
    "cabinet 3": ["cup"],
    "drawer 1": ["spoon", "fork"],
    "fridge 1": ["milk", "egg 1", "egg 2", "tomato", "apple 2"],
    "microwave 1": [],
    "sinkbasin 1": ["sponge"],
    "stoveburner 1": ["pan"],
    "coffeemachine 1": [],
    "diningtable 1": ["potato", "cellphone"],
    "shelf 1": ["book", "vase"],
    "garbagecan 1": [],
}
CLOSABLE = {"cabinet 1", "cabinet 2", "cabinet 3", "drawer 1", "fridge 1", "microwave 1"}
PLACE_WORDS = {  # how people name places -> the kind of place
    "coffee machine": "coffeemachine", "coffeemachine": "coffeemachine",
    "countertop": "countertop", "counter": "countertop", "worktop": "countertop",
    "cabinet": "cabinet", "cupboard": "cabinet", "drawer": "drawer",
    "fridge": "fridge", "refrigerator": "fridge", "microwave": "microwave",
    "sink basin": "sinkbasin", "sinkbasin": "sinkbasin", "sink": "sinkbasin",
    "stove burner": "stoveburner", "stoveburner": "stoveburner", "stove": "stoveburner",
    "dining table": "diningtable", "diningtable": "diningtable", "table": "diningtable",
    "shelf": "shelf", "garbage can": "garbagecan", "garbagecan": "garbagecan",
    "bin": "garbagecan", "trash can": "garbagecan",
}
STATE_WORDS = {
    "clean": "clean", "cleaned": "clean", "washed": "clean", "wash": "clean",
    "hot": "hot", "heated": "hot", "warm": "hot", "heat": "hot", "warmed": "hot",
    "cold": "cold", "cool": "cold", "cooled": "cold", "chilled": "cold", "chill": "cold",
}
NUMBERS = {"a": 1, "an": 1, "the": 1, "one": 1, "two": 2, "both": 2, "three": 3, "1": 1,
           "2": 2, "3": 3, "some": 1}
# common sense: where such things are usually kept (what a person would guess)
USUALLY = {
    "mug": "in a cabinet or by the coffee machine", "cup": "in a cabinet",
    "plate": "in a cabinet", "bowl": "in a cabinet", "milk": "in the fridge",
    "egg": "in the fridge", "tomato": "in the fridge or on the countertop",
    "apple": "on the countertop or in the fridge", "lettuce": "in the fridge or on the countertop",
    "bread": "on the countertop", "knife": "in a drawer or on the countertop",
    "spoon": "in a drawer", "fork": "in a drawer", "pan": "on the stove burner",
    "kettle": "on the countertop", "potato": "on the countertop or the dining table",
    "cellphone": "on the dining table or a shelf", "book": "on a shelf", "vase": "on a shelf",
    "sponge": "by the sink",
}
SYNONYMS = {"goto": "go", "walk": "go", "place": "put", "wash": "clean", "grab": "take",
            "get": "take", "warm": "heat", "chill": "cool", "inspect": "examine"}
HOW = {"clean": "clean THING with sinkbasin 1", "hot": "heat THING with microwave 1",
       "cold": "cool THING with fridge 1"}
STATE_PLACE = {"clean": "sinkbasin 1", "hot": "microwave 1", "cold": "fridge 1"}


def kind_of(thing: str) -> str:
    """``apple 2`` -> ``apple``."""
    return re.sub(r"\s+\d+$", "", thing)


OBJECT_KINDS = sorted({kind_of(t) for things in START.values() for t in things})


class GoalError(ValueError):
    """The task names no goal this world understands; the message says what it knows."""


@dataclass(frozen=True)
class Requirement:
    thing: str  # a kind of object: "mug"
    states: frozenset[str]  # {"clean"}
    place: str  # a kind of place ("diningtable") or one place ("cabinet 2")

    def describe(self) -> str:
        states = " and ".join(sorted(self.states))
        where = self.place if self.place[-1].isdigit() else _a(self.place)
        return f"{_a(states + ' ' + self.thing if states else self.thing)} in/on {where}"


def _a(words: str) -> str:
    return ("an " if words[0] in "aeiou" else "a ") + words


def _plural(word: str) -> str:
    return word + ("es" if word.endswith(("o", "sh", "ch")) else "s")


def parse_goal(task: str) -> list[Requirement]:
    """The requirements a task asks for, in the order it names them."""
    text = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", task.lower().replace("-", " ")))
    clauses = [c.strip() for c in re.split(
        r"\b(?:and then|then|and|also|after that|as well as|plus)\b", text)]
    goals: list[Requirement] = []
    pending: list[_Wanted] = []  # things named but not yet given a place
    last: _Wanted | None = None
    for clause in clauses:
        words = clause.split()
        verb_state = STATE_WORDS.get(words[0]) if words and words[0] in STATE_VERBS else None
        named = _things_in(clause)
        if re.search(r"\b(it|them)\b", clause) and last is not None and last not in pending:
            pending.append(last)
        if verb_state and last is not None and not named:
            last.states.add(verb_state)
        for wanted in named:
            if verb_state:
                wanted.states.add(verb_state)
            pending.append(wanted)
            last = wanted
        placing = not verb_state or re.search(rf"\b({'|'.join(PLACING_VERBS)})\b", clause)
        place = _place_in(clause) if placing else None
        if place:
            for wanted in pending:
                goals += [Requirement(wanted.thing, frozenset(wanted.states), place)] * wanted.count
            pending = []
    if not goals:
        raise GoalError(
            "I could not find a goal in the task. Name an object and where it should go, "
            "e.g. 'put a clean mug in the coffee machine'. Objects here: "
            + ", ".join(OBJECT_KINDS) + ". Places: " + ", ".join(START) + ".")
    return goals


@dataclass(eq=False)
class _Wanted:
    thing: str
    count: int
    states: set[str]


STATE_VERBS = {"clean", "wash", "heat", "warm", "cool", "chill"}
PLACING_VERBS = ("put", "place", "bring", "move", "leave", "set", "store", "return", "carry",
                 "keep", "take", "get", "serve")


def _things_in(clause: str) -> list[_Wanted]:
    found = []
    numbers = "|".join(NUMBERS)
    for kind in OBJECT_KINDS:
        match = re.search(rf"(?:\b({numbers}) )?((?:\w+ ){{0,2}}?)\b(?:{kind}|{_plural(kind)})\b",
                          clause)
        if match:
            before = [match.group(1) or "", *match.group(2).split()]
            states = {STATE_WORDS[w] for w in before if w in STATE_WORDS}
            count = max([NUMBERS[w] for w in before if w in NUMBERS] or [1])
            found.append((match.start(), _Wanted(kind, count, states)))
    return [wanted for _, wanted in sorted(found, key=lambda item: item[0])]


def _place_in(clause: str) -> str | None:
    match = re.search(r"\b(?:in|into|on|onto|inside|to|next to|by|at) (?:the |a |an )?(.+)$",
                      clause)
    if not match:
        return None
    rest = match.group(1)
    hits = []
    for words, kind in PLACE_WORDS.items():
        hit = re.search(rf"\b{words}(?: (\d))?\b", rest)
        if hit:
            hits.append((hit.start(), -len(words), f"{kind} {hit.group(1)}" if hit.group(1)
                         else kind))
    return min(hits)[2] if hits else None


@dataclass
class World:
    """The state of the house; :meth:`step` carries out one action."""

    goal: list[Requirement]
    places: dict[str, list[str]] = field(default_factory=lambda: {p: list(t) for p, t in
                                                                  START.items()})
    at: str = "the middle of the room"
    holding: str | None = None
    opened: set[str] = field(default_factory=set)
    states: dict[str, set[str]] = field(default_factory=dict)
    done: bool = False
    history: list[tuple[str, str, str]] = field(default_factory=list)  # action, seen, why

    # -- goal ------------------------------------------------------------------------------
    def unmet(self) -> list[Requirement]:
        """The requirements not met yet (each object counts for one requirement)."""
        used: set[str] = set()
        missing = []
        for req in self.goal:
            match = next((t for p, things in self.places.items() if _fits(p, req.place)
                          for t in things if kind_of(t) == req.thing and t not in used
                          and req.states <= self.states.get(t, set())), None)
            if match is None:
                missing.append(req)
            else:
                used.add(match)
        return missing

    # -- actions ---------------------------------------------------------------------------
    def step(self, command: str) -> str:
        action = " ".join(command.strip().lower().rstrip(".!").split())
        seen, why = self._do(action)
        if not why and not self.done and not self.unmet():
            self.done = True
            seen += " Task complete!"
        self.history.append((action, seen, why))
        return seen

    def _do(self, action: str) -> tuple[str, str]:
        """(what the agent observes, why nothing happened - '' when something did)."""
        if self.done and not action.startswith(("look", "inventory")):
            return "The task is already complete.", ""
        if action in ("look", "look around"):
            return (f"You are at {self.at}. Around you: {', '.join(self.places)}."
                    + (f" You are holding the {self.holding}." if self.holding else ""), "")
        if action in ("inventory", "i"):
            return (f"You are holding the {self.holding}." if self.holding
                    else "You are not holding anything."), ""
        verb, _, rest = action.partition(" ")
        verb = SYNONYMS.get(verb, verb)
        if verb == "pick":
            verb, rest = "take", rest.removeprefix("up ")
        handler = {"go": self._go, "open": self._open, "close": self._close,
                   "take": self._take, "put": self._put, "clean": self._clean,
                   "heat": self._heat, "cool": self._cool, "examine": self._examine}.get(verb)
        if handler is None:
            return "Nothing happens.", (
                f"'{verb}' is not an action here. Actions: look, inventory, go to PLACE, "
                "open PLACE, close PLACE, take THING from PLACE, put THING in/on PLACE, "
                "clean THING with sinkbasin 1, heat THING with microwave 1, "
                "cool THING with fridge 1, examine THING")
        return handler(rest)

    def _place(self, words: str) -> str | None:
        words = words.strip()
        if words in self.places:
            return words
        for name, kind in PLACE_WORDS.items():
            if words == name:
                matches = [p for p in self.places if kind_of(p) == kind]
                return matches[0] if len(matches) == 1 else None
        return None

    def _visible(self, place: str) -> str:
        if place in CLOSABLE and place not in self.opened:
            return f"The {place} is closed."
        things = self.places[place]
        return (f"On the {place}, you see: {', '.join(things)}." if things
                else f"The {place} is empty.")

    def _go(self, rest: str) -> tuple[str, str]:
        place = self._place(rest.removeprefix("to "))
        if place is None:
            return "Nothing happens.", (f"there is no place called '{rest.removeprefix('to ')}'"
                                        f"; places: {', '.join(self.places)}")
        self.at = place
        return f"You arrive at {place}. " + self._visible(place), ""

    def _open(self, rest: str) -> tuple[str, str]:
        place = self._place(rest)
        if place is None or place not in CLOSABLE:
            return "Nothing happens.", f"'{rest}' is not something that opens"
        if self.at != place:
            return "Nothing happens.", f"you must go to {place} before you can open it"
        if place in self.opened:
            return "Nothing happens.", f"{place} is already open"
        self.opened.add(place)
        things = self.places[place]
        inside = f"In it, you see: {', '.join(things)}." if things else "It is empty."
        return f"You open the {place}. {inside}", ""

    def _close(self, rest: str) -> tuple[str, str]:
        place = self._place(rest)
        if place is None or place not in self.opened or self.at != place:
            return "Nothing happens.", f"you can only close an open place you are at ({rest})"
        self.opened.discard(place)
        return f"You close the {place}.", ""

    def _thing(self, words: str, among: list[str]) -> str | None:
        words = words.strip()
        for t in among:
            if t == words:
                return t
        return next((t for t in among if kind_of(t) == words), None)

    def _take(self, rest: str) -> tuple[str, str]:
        what, _, where = rest.partition(" from ")
        place = self._place(where) if where else self.at if self.at in self.places else None
        if place is None:
            return "Nothing happens.", "say where to take it from: take THING from PLACE"
        if self.at != place:
            return "Nothing happens.", f"you must go to {place} before you can take from it"
        if place in CLOSABLE and place not in self.opened:
            return "Nothing happens.", f"{place} is closed: open it first"
        if self.holding:
            return "Nothing happens.", (f"your hands are full: you can carry one thing at a "
                                        f"time, so put the {self.holding} somewhere first")
        thing = self._thing(what, self.places[place])
        if thing is None:
            return "Nothing happens.", f"there is no {what} in/on {place}"
        self.places[place].remove(thing)
        self.holding = thing
        return f"You pick up the {thing} from the {place}.", ""

    def _put(self, rest: str) -> tuple[str, str]:
        match = re.match(r"(.+?) (?:in/on|in|on|into|onto|inside) (.+)$", rest)
        if not match:
            return "Nothing happens.", "write it as: put THING in/on PLACE"
        what, where = match.groups()
        place = self._place(where)
        if place is None:
            return "Nothing happens.", f"there is no place called '{where}'"
        if self.holding is None or self._thing(what, [self.holding]) is None:
            return "Nothing happens.", f"you are not holding {_a(what)}"
        if self.at != place:
            return "Nothing happens.", f"you must go to {place} before you can put things there"
        if place in CLOSABLE and place not in self.opened:
            return "Nothing happens.", f"{place} is closed: open it first"
        thing, self.holding = self.holding, None
        self.places[place].append(thing)
        return f"You put the {thing} in/on the {place}.", ""

    def _change(self, rest: str, state: str, verb: str) -> tuple[str, str]:
        what, _, tool = rest.partition(" with ")
        needed = STATE_PLACE[state]
        if self._place(tool) != needed:
            return "Nothing happens.", f"to {verb} something, use {needed}: " + \
                HOW[state].replace("THING", what or "THING")
        if self.at != needed:
            return "Nothing happens.", f"you must go to {needed} first"
        if self.holding is None or self._thing(what, [self.holding]) is None:
            return "Nothing happens.", (f"you must be holding the {what} to {verb} it: take it "
                                        "from where it is first")
        self.states.setdefault(self.holding, set()).add(state)
        self.states[self.holding].discard({"hot": "cold", "cold": "hot"}.get(state, ""))
        past = {"clean": "clean", "heat": "heat", "cool": "cool"}[verb]
        return f"You {past} the {self.holding} using the {needed}.", ""

    def _clean(self, rest: str) -> tuple[str, str]:
        return self._change(rest, "clean", "clean")

    def _heat(self, rest: str) -> tuple[str, str]:
        return self._change(rest, "hot", "heat")

    def _cool(self, rest: str) -> tuple[str, str]:
        return self._change(rest, "cold", "cool")

    def _examine(self, rest: str) -> tuple[str, str]:
        place = self._place(rest)
        if place is not None:
            if self.at != place:
                return "Nothing happens.", f"go to {place} to examine it"
            return self._visible(place), ""
        if self.holding and self._thing(rest, [self.holding]):
            states = sorted(self.states.get(self.holding, set()))
            return (f"This is a {self.holding}"
                    + (f"; it is {' and '.join(states)}." if states else ".")), ""
        return "Nothing happens.", f"you can examine a place you are at or what you hold ({rest})"

    # -- grounding -------------------------------------------------------------------------
    def facts(self) -> str:
        """Common-sense facts that fit the situation (what a grounding agent would add)."""
        lines = []
        failed = [(a, why) for a, _, why in self.history if why]
        if self.history and self.history[-1][2]:
            action, _, why = self.history[-1]
            lines.append(f"Your last action '{action}' did nothing because {why}.")
        repeated = [a for a, _ in failed if sum(1 for b, _ in failed if b == a) > 1]
        if repeated:
            lines.append(f"You repeated '{repeated[-1]}', which cannot work: try something else.")
        if self.done:
            return "The task is complete; nothing more is needed."
        todo = self.unmet()
        holding = self.holding
        for req in todo:
            kind = req.thing
            have = holding is not None and kind_of(holding) == kind
            missing = sorted(req.states - self.states.get(holding or "", set())) if have \
                else sorted(req.states)
            steps = []
            if not have:
                steps.append(f"find {_a(kind)} (usually {USUALLY.get(kind, 'somewhere in the room')})"
                             " and take it")
            steps += [HOW[s].replace("THING", kind) + " (go there first)" for s in missing]
            target = req.place if req.place[-1].isdigit() else f"a {req.place} (e.g. "\
                f"{next(p for p in self.places if kind_of(p) == req.place)})"
            steps.append(f"go to {target} and put the {kind} in/on it")
            lines.append(f"Still to do for {req.describe()}: " + "; then ".join(steps) + ".")
        if holding and not any(kind_of(holding) == r.thing for r in todo):
            lines.append(f"You are holding the {holding}, which the task does not need: "
                         "put it down before taking anything else.")
        looked = {a.removeprefix("open ") for a, _, why in self.history
                  if a.startswith("open ") and not why}
        unseen = [p for p in START if p in CLOSABLE and p not in looked]
        if todo and unseen:
            lines.append("Closed places you have not looked into yet: " + ", ".join(unseen)
                         + ". Go to one and open it to see what is inside.")
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def _fits(place: str, wanted: str) -> bool:
    return place == wanted or kind_of(place) == wanted


def replay(task: str, commands: list[str]) -> World:
    """The world for ``task`` after the ``commands`` already carried out."""
    world = World(goal=parse_goal(task))
    for command in commands:
        world.step(command)
    return world


def world_after(task: str, calls: list[tuple[str, str]]) -> World:
    """The world after earlier ``act`` calls, given as ``(call id, JSON arguments)``."""
    commands = []
    for _, arguments in calls:
        try:
            command = json.loads(arguments or "{}").get("command")
        except (ValueError, AttributeError):
            continue  # the call was refused for its arguments: it changed nothing
        if isinstance(command, str):
            commands.append(command)
    return replay(task, commands)

"""The words of a task, for the Demo model to use where a script would (names, the topic,
the question), and filling a script's ``{{placeholders}}`` with them. Plain heuristics on
English text: no model, deterministic, instant."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._demo_script import PLACEHOLDER, DemoTurn

_POLITE = re.compile(
    r"^(?:(?:please|kindly|hey|hi|hello|ok|okay|so|now|then|next|and|also|just|simply)\b"
    r"[,!]?\s*)*"
    r"(?:(?:can|could|would|will) you\s+(?:please\s+)?|i(?:'d| would) like (?:you )?to\s+|"
    r"i (?:want|need) (?:you )?to\s+|let'?s\s+|help (?:me|us)(?: to)?\s+|we (?:need|want) to\s+"
    r"|(?:your|the) task(?: is)?:\s*)*", re.I)
_MODALS = "should|must|can|could|will|would|shall|may|might"
_MOTION = re.compile(rf"^((?:\S+\s+){{0,3}}?\S+)\s+({_MODALS})\s+(.+)$", re.I)
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*of\s*(\d+(?:\.\d+)?)", re.I)
_VERBS = frozenset("""
    analyse analyze brainstorm build calculate check choose compare compute convert count create
    debate decide describe design discuss draft encourage estimate explain find get give help
    host improve increase invent launch list lower make name organise organize outline pick plan
    prepare propose raise reduce research review run save set show solve start suggest summarise
    summarize teach tell translate write cut come think figure work turn keep add play fix
    put bring take clean fetch move
""".split())
_PARTICLES = frozenset({"up", "with", "of", "out", "about", "on", "me", "us", "to"})
_QUESTION_WORDS = frozenset("what why how when where who which whose".split())
_AUXILIARIES = frozenset("""
    is are was were do does did can could should would will shall may might must has have had
    makes make happens
""".split())
_PRONOUNS = frozenset({"i", "we", "you"})
# verbs that end the subject of a "how/why do ..." question ("how do rainbows | form")
_QUESTION_VERBS = frozenset("""
    work works matter matters form forms happen happens grow grows fly flies change changes help
    helps come comes get gets make makes use uses need needs mean means affect affects start
    starts fall falls go goes move moves live lives feel feels learn learns know knows see sees
    stay stays turn turns rise rises shine shines sleep sleeps eat eats teach teaches fight
    fights keep keeps cause causes exist exists die dies float floats spread spreads
""".split())
_COMMON = _VERBS | _QUESTION_WORDS | _AUXILIARIES | _PRONOUNS | frozenset("""
    a an the our my your their this that these those every each some any all one no
    it its there here and or but if to for of in on at by with from about as into
""".split())
_STOP = _COMMON | frozenset("""
    more most less very much many also just only really than then them they he she his her
    me us not so such own same other new good best way ways thing things something someone
    people need needs want wants like get gets use used using tell give them what which while
    please could would should can will shall have has had been being does did done make
""".split())
_STOP |= frozenset("""
    one two three four five six seven eight nine ten first second third before after during
    until since only rest which
""".split())
# "how can our class | keep the classroom tidy": the subject before the verb is left out
_HOW_WE = re.compile(r"^how\s+(?:can|could|should|would|might|may|do|shall|will)\s+(.+)$", re.I)
_DETERMINERS = frozenset("our my the this your their".split())
# verbs after which "X to VERB Y" is about Y ("get more teenagers to visit | the library")
_CAUSATIVE = frozenset("get encourage persuade convince motivate inspire".split())
_TO_VERB = re.compile(r"^(?:\S+\s+){0,3}?\S+\s+to\s+[a-z]+\s+(.+)$")
# a trailing "when" ("... on Friday evenings", "... before the summer holidays")
_TIME = ("monday tuesday wednesday thursday friday saturday sunday weekend weekends morning "
         "mornings afternoon afternoons evening evenings night nights day days week weeks month "
         "months year years summer winter spring autumn holidays holiday term lunchtime "
         "today tomorrow").split()
WHEN = re.compile(r"\s+((?:on|every|each|before|after|during|until|by|at|in|this|next)\s+"
                  r"(?:the\s+)?(?:[A-Za-z]+\s+)?(?:" + "|".join(_TIME) + r")\b.*)$", re.I)
# a trailing complement ("keep the classroom | tidy", "make lunch breaks | calmer")
_COMPLEMENTS = frozenset("""
    tidy tidier clean cleaner calm calmer safe safer better easier cheaper faster quieter greener
    happier healthier nicer shorter simpler clearer free fun possible accessible affordable
    popular welcoming friendlier fairer stronger bigger smaller
""".split())
_HEDGES = frozenset("only just even maybe perhaps really probably".split())
_NOT_NAMES = frozenset("""
    I Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December OK AI
""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_EXPRESSION = re.compile(r"[(\d][\d\s.,+\-*/×÷^%()x]*[\d)]")
_OPERATOR = re.compile(r"\d\s*(?:\*\*|[-+*/×÷^x])\s*[\d(]")


@dataclass(frozen=True)
class TaskWords:
    """What a task says, in the forms a script needs (see ``PLACEHOLDERS``)."""

    task: str
    request: str
    topic: str
    question: str
    names: tuple[str, ...]
    keywords: tuple[str, ...]
    expression: str
    code: str

    @classmethod
    def of(cls, task: str) -> TaskWords:
        text = task.strip()
        line = " ".join(_first_paragraph(text).split())
        request = _request(line)
        topic = _topic(request)
        return cls(task=text, request=request, topic=topic, question=_question(line, request,
                                                                               topic),
                   names=_names(line), keywords=_keywords(topic, request),
                   expression=_expression(line), code=_code(text))

    def values(self) -> dict[str, str]:
        return {
            "task": self.task, "request": self.request, "topic": self.topic,
            "Topic": self.topic[:1].upper() + self.topic[1:], "question": self.question,
            "names": _join(self.names), "name": self.names[0] if self.names else "",
            "keywords": ", ".join(self.keywords),
            "keyword": self.keywords[0] if self.keywords else "",
            "expression": self.expression,
            "task_quoted": json.dumps(self.task, ensure_ascii=False),
            "code": self.code,
        }


def fill(text: str, words: TaskWords, **more: str) -> str:
    """``text`` with every known ``{{placeholder}}`` replaced (unknown ones stay as they are).
    ``more`` adds values known only later (``last_message``, when the turn is said)."""
    values = {**words.values(), **more}

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name not in values:
            return match.group(0)
        return values[name] or (default.strip() if default is not None else "")

    return PLACEHOLDER.sub(replace, text)


def lacks_words(turn: DemoTurn, words: TaskWords) -> bool:
    """Whether ``turn`` uses a placeholder without a default that the task has no words for
    (``{{expression}}`` when the task holds no sum): such a turn is left out."""
    values = words.values()
    texts = [turn.content or ""] + [json.dumps(dict(c.arguments)) for c in turn.tool_calls]
    return any(m.group(2) is None and m.group(1) in values and not values[m.group(1)]
               for text in texts for m in PLACEHOLDER.finditer(text))


def fill_turn(turn: DemoTurn, words: TaskWords, **more: str) -> DemoTurn:
    """A turn with its text and tool-call arguments filled from ``words`` (and ``more``)."""
    if "{{" not in (turn.content or "") and not turn.tool_calls:
        return turn
    calls = tuple(type(c)(name=c.name, arguments=_fill_value(dict(c.arguments), words, more))
                  for c in turn.tool_calls)
    content = fill(turn.content, words, **more) if turn.content is not None else None
    return DemoTurn(agent=turn.agent, content=content, tool_calls=calls)


def _fill_value(value: Any, words: TaskWords, more: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return fill(value, words, **more)
    if isinstance(value, Mapping):
        return {k: _fill_value(v, words, more) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_value(v, words, more) for v in value]
    return value


# -- the heuristics ---------------------------------------------------------------------------
def _first_paragraph(text: str) -> str:
    """The prose of a task: up to the first blank line (code or data may follow it)."""
    return re.split(r"\n\s*\n", text, maxsplit=1)[0]


def _proper_start(text: str) -> bool:
    """Whether the first word looks like the start of a name ("James Webb", "NASA")."""
    words = text.split(" ", 2)
    first = words[0]
    if len(first) > 1 and first.isupper():
        return True
    return len(words) > 1 and words[1][:1].isupper() and first[:1].isupper()


# a task that opens with a name ("Maria should lead the team"): a capitalised first word,
# the subject of what follows, that is no everyday word, plural or noun ("Homework should
# ...", "Cities should ...", "Chess should ..." are lower-cased to go on a sentence)
_NOUN_END = re.compile(r"(?:s|ing|tion|sion|ness|ment|ity|ety|ism|ence|ance|ship|hood|dom|"
                       r"work|ware|cy|ogy|ure|age|ery|th|ful)$")
_UNCOUNTED = frozenset("""homework music money chess art sport football food water milk
    coffee tea bread energy time weather traffic rain snow love fun nature science math maths
    history fruit meat fish rice sugar paper plastic""".split())
_SUBJECT_OF = frozenset(_MODALS.split("|")) | {"is", "was", "has", "and", "wants", "needs"}


def _starts_with_name(text: str) -> bool:
    """Whether ``text`` opens with a name as its subject ("Maria should ...")."""
    words = text.split(" ", 2)
    first = words[0].rstrip(",")
    return len(words) > 1 and re.fullmatch(r"[A-Z][a-z]+", first) is not None \
        and not is_common(first) and first.lower() not in _UNCOUNTED \
        and not _NOUN_END.search(first) and words[1].lower() in _SUBJECT_OF


def _request(line: str) -> str:
    text = _POLITE.sub("", line, count=1).strip() or line
    text = re.sub(r"[\s.!?…:;,]+$", "", text)
    how = _HOW_WE.match(text)
    if how:  # "how can we (our class) keep it tidy" -> "keep it tidy"
        words = how.group(1).split(" ")
        first = words[0].lower()
        starts = (1,) if first in ("we", "i", "you") else (2, 3) if first in _DETERMINERS else ()
        verb = next((i for i in starts if i < len(words) - 1
                     and words[i].lower() in _VERBS | _QUESTION_VERBS), None)
        if verb is not None:
            text = " ".join(words[verb:])
    if text[:1].isupper() and not _proper_start(text) and not _starts_with_name(text):
        text = text[:1].lower() + text[1:]
    return text


def _topic(request: str) -> str:
    topic = _clause_topic(request)
    if topic.split(" ", 1)[0].lower() in _QUESTION_WORDS:
        return topic  # "how bees make honey" reads best whole
    lowered = request.split(" ", 1)[0].lower()
    if lowered in _CAUSATIVE:  # "get more teenagers to visit the library" -> "the library"
        aim = _TO_VERB.match(topic)
        if aim:
            topic = aim.group(1)
    if lowered not in _AUXILIARIES | _VERBS:  # "only the launch party is realistic"
        topic = _subject(topic)
    shorter = WHEN.sub("", topic)
    words = shorter.split(" ")
    if lowered in _VERBS and len(words) > 1 and words[-1].lower() in _COMPLEMENTS:
        shorter = " ".join(words[:-1])
    return shorter if _keywords(shorter) else topic


def _subject(statement: str) -> str:
    """The thing a statement is about: "only the launch party is realistic" and "the
    reading corner matters most" -> "the launch party", "the reading corner"."""
    words = statement.split(" ")
    while len(words) > 1 and words[0].lower() in _HEDGES:
        words = words[1:]
    if words[0].lower() not in _DETERMINERS | {"a", "an", "that", "these", "those"}:
        # "only the launch party is realistic", "homework should be abolished"
        copula = re.match(r"^((?:\S+\s+){0,4}?\S+)\s+(?:is|are|was|were|should|must|shall|"
                          r"ought|can|could|would|will|may|might)\s+\S", statement)
        return _subject(copula.group(1)) if copula and copula.group(1) != statement else statement
    verbs = _AUXILIARIES | _QUESTION_VERBS | {"is", "are", "was", "were"}
    end = next((i for i, w in enumerate(words) if i and w.lower() in verbs), None)
    return " ".join(words[:end]) if end and end <= 5 else statement


def _clause_topic(request: str) -> str:
    request = re.split(r"(?<=[.!?])\s+", request, maxsplit=1)[0].rstrip(".!?")
    words = request.split(" ")
    lowered = [w.lower().strip(",") for w in words]
    start = 0
    if lowered and lowered[0] in _QUESTION_WORDS:
        if lowered[0] not in ("which", "whose") and len(words) > 2 \
                and lowered[1] not in _AUXILIARIES | {"to"}:
            return request  # "how bees make honey": a clause, not a question to take apart
        start = 1
        while start < len(words) - 1 and lowered[start] in _AUXILIARIES | {"to"}:
            start += 1
        if start < len(words) - 1 and lowered[start] in _PRONOUNS:
            start += 1
    elif lowered and lowered[0] in _AUXILIARIES:  # "Is this safe", "Should we ..."
        start = 1
    elif lowered and lowered[0] in _VERBS:
        start = 1
        if len(words) > 3 and lowered[1] in ("and", "or"):  # "write and test a function"
            start = 3
        while start < len(words) - 1 and lowered[start] in _PARTICLES:
            start += 1
        if start < len(words) - 1 and lowered[start] in _QUESTION_WORDS:  # "explain how ..."
            return _topic(" ".join(words[start:]))
    rest = words[start:]
    if lowered and lowered[0] in ("how", "why") and start >= 2:
        if lowered[1] in ("do", "does", "did"):  # "how do rainbows form" -> "rainbows"
            cut = next((i for i, w in enumerate(rest)
                        if i and w.lower().strip(",;") in _QUESTION_VERBS), None)
            rest = rest[:cut] if cut else rest
        elif lowered[1] in ("is", "are") and len(rest) >= 3 and "," not in " ".join(rest):
            rest = rest[:-1]  # "why is the sky blue" -> "the sky"
    topic = " ".join(rest) or request
    return re.split(r",\s+|;\s+|\s+[—–]\s+|:\s+|\?\s*", topic, maxsplit=1)[0].strip() or topic


def _question(line: str, request: str, topic: str) -> str:
    if line.rstrip().endswith("?"):
        return re.split(r"(?<=\?)\s", line, maxsplit=1)[0].strip()
    said = line.split(" ", 2)
    if len(said) > 2 and said[0].lower() in _QUESTION_WORDS and said[1].lower() in _AUXILIARIES:
        return re.sub(r"[\s.!…:;,]+$", "", line) + "?"  # "How can we ..." without its "?"
    first = request.split(" ", 1)[0].lower()
    if first in _VERBS:
        return f"How do we {request}?"
    motion = _MOTION.match(request)
    if motion and not any(w.lower() in _QUESTION_WORDS for w in motion.group(1).split()):
        subject, modal, rest = motion.groups()
        return f"{modal.capitalize()} {subject} {rest}?"
    if topic.split(" ", 1)[0].lower() in _QUESTION_WORDS:
        return f"What do we know about {topic}?"
    return f"What about {topic}?"


def _names(line: str) -> tuple[str, ...]:
    names: list[str] = []
    sentence_start = True
    current: list[str] = []
    for match in re.finditer(r"\S+", line):
        raw = match.group(0)
        word = re.sub(r"['’]s$", "", raw.strip("\"'“”‘’()[],.;:!?"))
        capital = bool(re.match(r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)*$|[A-Z]{2,}$", word))
        if sentence_start and capital and not current:
            following = line[match.end():].lstrip().split(" ", 1)[0]
            # "James Webb ..." and "Maria should ..." start with a name
            sentence_start = not following[:1].isupper() \
                and not _starts_with_name(line[match.start():])
        if capital and not sentence_start and word not in _NOT_NAMES:
            current.append(word)
        elif capital and sentence_start and current:
            current.append(word)
        else:
            if current:
                names.append(" ".join(current))
            current = []
        if current and re.search(r"[,.;:!?)]$", raw):
            names.append(" ".join(current))
            current = []
        sentence_start = bool(re.search(r"[.!?:]$", raw))
    if current:
        names.append(" ".join(current))
    unique: list[str] = []
    for name in names:
        if name not in unique:
            unique.append(name)
    return tuple(unique)


def _keywords(topic: str, request: str = "") -> tuple[str, ...]:
    """Up to three words the task is about: the topic's first, then the request's."""
    found: list[str] = []
    words = [(i, w) for text in (topic, request) for i, w in enumerate(_WORD.findall(text))]
    named = {t.split(" ", 1)[0] for t in (topic, request) if _starts_with_name(t)}
    for index, word in words:
        word = word.strip("'’-")
        lowered = word.lower()
        if len(lowered) < 3 or lowered in _STOP or lowered in (f.lower() for f in found):
            continue
        proper = (index > 0 and word[:1].isupper()) or (len(word) > 1 and word.isupper()) \
            or word in named
        found.append(word if proper else lowered)
        if len(found) == 3:
            break
    return tuple(found)


def _expression(line: str) -> str:
    line = _PERCENT.sub(lambda m: f"{m.group(1)} / 100 * {m.group(2)}", line)
    best = ""
    for match in _EXPRESSION.finditer(line):
        candidate = match.group(0).strip().rstrip(",.")
        if _OPERATOR.search(candidate) and len(candidate) > len(best):
            best = candidate
    if not best:
        return ""
    best = best.replace("×", "*").replace("÷", "/").replace("^", "**")
    best = re.sub(r"(?<=\d)\s*x\s*(?=\d)", " * ", best)
    return " ".join(best.split())


def _code(text: str) -> str:
    fenced = re.search(r"```[^\n]*\n(.*?)(?:```|$)", text, re.S)
    if fenced:
        return fenced.group(1).strip("\n")
    parts = re.split(r"\n\s*\n", text, maxsplit=1)
    if len(parts) == 2 and parts[1].strip():
        return parts[1].strip("\n")
    if re.search(r"^\s*(def |class |import |from \S+ import |for |while |if )", text, re.M):
        return text
    return ""


def _join(items: tuple[str, ...]) -> str:
    if len(items) <= 1:
        return items[0] if items else ""
    return ", ".join(items[:-1]) + " and " + items[-1]


def noun_phrase(topic: str) -> str:
    """``topic`` as a thing to talk about: a clause such as "how bees make honey" becomes
    what it is about ("honey"; "how vaccines work" -> "vaccines")."""
    words = topic.split()
    if not words or words[0].lower() not in _QUESTION_WORDS:
        return topic
    rest = words[1:]
    verbs = _VERBS | _QUESTION_VERBS | _AUXILIARIES
    verb = next((i for i, w in enumerate(rest) if i and w.lower() in verbs), None)
    if verb is None:
        return " ".join(rest)
    after = rest[verb + 1:]
    return " ".join(after) if _keywords(" ".join(after)) else " ".join(rest[:verb])


def is_common(word: str) -> bool:
    """Whether ``word`` is an everyday word (not a name): "A", "Visit", "The" are."""
    return word.lower().strip(",.;:!?") in _STOP

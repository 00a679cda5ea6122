"""Reading a conversation the way the Demo model's own words need it: who spoke, which
message a person wrote (a follow-up, an interjection, an answer, an edited message), a
short gist of a message with any quoted text left out, the list items on the table, and
a deterministic choice among phrasings (no clock, no per-process randomness)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from .._messages import Message
from ._demo_words import TaskWords, noun_phrase

TERMINATE = "TERMINATE"

# what a person says when they are happy with what they got
_APPROVAL = re.compile(r"^\W*(?:looks good|looks great|lgtm|perfect|great|thanks|thank you|"
                       r"that'?s (?:it|fine|good|great|perfect)|good job|well done|approved|"
                       r"all good|love it|fine by me)\b", re.I)
# a short acknowledgement before what a person asks for ("Good.", "OK,", "Thanks!")
_ACK = re.compile(r"^\W*(?:(?:ok(?:ay)?|good|great|fine|nice|cool|right|alright|sure|yes|yep|"
                  r"thanks|thank you|perfect|lovely|excellent|got it|understood|noted|"
                  r"looks good|sounds good|that'?s (?:good|great|fine))"
                  r"(?:\s+(?:thanks|thank you))?\s*[,.!;:—–-]+\s*)+", re.I)
# numbers in words, the one table of them: 1 -> "one"
NUMBER_WORDS = dict(enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight"),
                              start=1))
_WORD_NUMBERS = {word: number for number, word in NUMBER_WORDS.items()}


def number_of(word: str) -> int:
    """The number a word or a numeral says ("three", "3" -> 3), or 0."""
    return int(word) if word.isdigit() else _WORD_NUMBERS.get(word.lower(), 0)


# how many items a person asks for ("only two ideas", "give me 3 options")
_COUNT = re.compile(r"\b(one|two|three|four|five|[1-5])\s+(?:\w+\s+)?(?:ideas?|options?|"
                    r"suggestions?|ones|things|ways|items|steps|points|games|activities|"
                    r"picks|proposals)\b", re.I)
_KINDS = re.compile(r"^(?:only\s+|just\s+)?(?:\w+\s+)?(?:ideas|options|ones|things|ways|"
                    r"activities|games|suggestions|proposals)\b", re.I)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”]*”|„[^“”]*[“”]|«[^»]*»")
_QUOTE_MARKS = re.compile(r"[\"“”„«»]")
_CODE = re.compile(r"```.*?(?:```|$)", re.S)
_LABEL = re.compile(r"^(?:to [^:]{1,30}'s question|on [^:]{1,30}'s (?:point|list)[^:]{0,60}|"
                    r"you (?:asked|said)|taking in [^:]{1,60}|(?:one )?risk|idea|next step|for example|example|question for [^:]{1,30}|"
                    r"in short|to sum up[^:]{0,60}|so far|my answer|my pick|note|"
                    r"first draft[^:]{0,60}|second draft[^:]{0,60}|final version[^:]{0,60}|"
                    r"plan[^:]{0,60}|review|suggestion)\s*:\s*", re.I)
_ITEM = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+(.+)$", re.M)


def strip_terminate(text: str) -> str:
    stripped = text.strip()
    if stripped.endswith(TERMINATE):
        stripped = stripped[: -len(TERMINATE)].rstrip()
    return stripped


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-—–") + "…"


def in_few_words(text: str, limit: int = 90) -> str:
    """What a person asks in a few words: without the acknowledgement it opens with and
    what it quotes, on one line, cut to ``limit`` characters."""
    return shorten(unquoted(request_of(text)), limit)


def said_last(said: Sequence[Message], agent: str, keep: Callable[[str], bool] = bool) -> str:
    """``agent``'s latest message in ``said`` that ``keep`` accepts (without TERMINATE),
    or "": what it said before a person asked for a change to it."""
    return next((text for m in reversed(said) if m.name == agent
                 and keep(text := strip_terminate(m.text))), "")


def latest_code_result(said: Sequence[Message]) -> str:
    """The text of the latest result of running code in ``said`` ("exitcode: 0 ..."), or ""."""
    return next((m.text for m in reversed(said) if m.text.lstrip().startswith("exitcode:")), "")


def unquoted(text: str) -> str:
    """``text`` without any quoted passage, and without stray quote marks."""
    return _QUOTE_MARKS.sub("", _QUOTED.sub("", text))


def gist(text: str, limit: int = 70) -> str:
    """The first real sentence of a message, without what it quoted, labels, code or list
    numbers: short enough to quote without quoting a quote."""
    text = strip_terminate(text)
    if text.lstrip().startswith("exitcode:"):
        return "the code ran" if "exitcode: 0" in text else "the code failed"
    text = unquoted(_CODE.sub(" ", text))
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:\d{1,2}[.)]|[-*•#>])\s*", "", line).strip()
        for sentence in re.split(r"(?<=[.!?])\s+", line):
            sentence = sentence.strip()
            while (shorter := _LABEL.sub("", sentence, count=1)) != sentence:
                sentence = shorter
            sentence = sentence.strip(" ()")
            sentence = re.sub(r"\s+([,.;:!?])", r"\1", re.sub(r"\(\s*\)", "", sentence))
            if len(sentence.split()) >= 3 and not sentence.endswith(":"):
                return shorten(sentence.rstrip("."), limit)
    return ""


def items(text: str, limit: int = 48, owners: Collection[str] = ()) -> list[str]:
    """The list items of a message (numbered or bulleted, one a line or "1. … 2. …" on
    one line), each as a short name: the part before its first full stop, colon or
    semicolon; after it when that part only names who does it (one of ``owners``, lower
    case: "2. Designer: Reserve button ..." -> "Reserve button ...")."""
    found = []
    text = strip_terminate(text)
    entries = [m.group(1) for m in _ITEM.finditer(text)]
    if len(entries) < 2:
        inline = re.split(r"(?:^|\s)\d{1,2}[.)]\s+", " ".join(text.split()))
        entries = inline[1:] if len(inline) > 2 else entries
    for entry in entries:
        item = _QUOTE_MARKS.sub("", entry).strip()
        parts = re.split(r"[.:;](?:\s|$)|\s[—–]\s", item, maxsplit=2)
        owned = len(parts) > 1 and parts[0].strip().lower() in owners
        item = parts[1 if owned else 0].strip()
        if len(item.split()) >= 2:
            found.append(shorten(item, limit))
    return found


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (on one line) that have at least three words."""
    return [s for s in _SENTENCE_END.split(" ".join(text.split())) if len(s.split()) >= 3]


def is_question(text: str) -> bool:
    return strip_terminate(text).rstrip().endswith("?")


def request_of(text: str) -> str:
    """A person's message without the acknowledgement it opens with ("Good. Now narrow it
    to ..." -> "Now narrow it to ..."); the whole message when it is nothing else."""
    stripped = strip_terminate(text)
    rest = _ACK.sub("", stripped, count=1).strip()
    return rest if len(rest.split()) >= 2 else stripped


def approves(text: str) -> bool:
    """Whether a person is happy with what they got ("Looks good", "Thanks, agreed"), and
    asks for nothing more ("Thanks! Now make it shorter" asks for more)."""
    if not _APPROVAL.match(text.strip()):
        return False
    rest = request_of(text)
    return rest == strip_terminate(text) or len(rest.split()) < 3 or bool(
        _APPROVAL.match(rest)) or bool(_FINALISE.match(rest))


# a happy person asking for nothing but the final version ("Looks good. Please make it final.")
_FINALISE = re.compile(r"^\W*(?:please\s+|now\s+|so\s+)*(?:make\s+(?:it|this|that)\s+"
                       r"(?:the\s+)?final(?:\s+version)?|finali[sz]e\s+(?:it|this|that)|"
                       r"(?:send|ship|publish)\s+(?:it|this|that)|go\s+ahead)"
                       r"(?:\s+please)?[\s.!]*$", re.I)


# a person asking for a plan and no code ("just a plan, no code please", "plan only")
_NO_CODE = re.compile(
    r"\b(?:no|without(?:\s+any)?|not\s+any|skip\s+the|don'?t\s+(?:write|need|want)(?:\s+any)?|"
    r"never\s+mind\s+the)\s+(?:code|coding|script|program)\b|\b(?:a\s+|the\s+)?plan\s+only\b|"
    r"\bonly\s+(?:a\s+|the\s+)?plan\b|\bjust\s+(?:(?:give|write|make|send)\s+(?:me\s+|us\s+)?)?"
    r"(?:a\s+|the\s+)plan\b", re.I)


def wants_no_code(text: str) -> bool:
    """Whether a person asks for a plan (or words) without any code ("Just give me a plan,
    no code please")."""
    return bool(_NO_CODE.search(unquoted(request_of(text))))


# what code can do: a request that names code, or a count, a sum, a sort, a check of text or
# numbers ("Count the words", "sum the column", "check whether a phrase is a palindrome")
_COMPUTABLE = re.compile(
    r"\b(?:code|coding|script|program|programs|function|python|algorithm|regex|csv|json|"
    r"spreadsheet|generator|calculator|converter|implement|automate|debug|"
    r"compute|calculate|count|sum|total|average|mean|median|sort|parse|convert|"
    r"test|tests|palindrome|prime|fibonacci|factorial|digits?|numbers?|strings?|words?|"
    r"letters?|characters?|vowels?|longest|shortest|largest|smallest|reverse|"
    r"how\s+many|print|plot|chart)\b|\d\s*[-+*/x×^]\s*\d", re.I)


def computable(text: str) -> bool:
    """Whether what a person asks for is something code can do (a count, a sum, a check of
    text or numbers, or code itself); "plan a rainy day in Paris" is not."""
    return bool(_COMPUTABLE.search(unquoted(request_of(text))))


def without_no_code(text: str) -> str:
    """A person's request without the words that ask for no code ("A plan only this time:
    how to move the office" -> "how to move the office")."""
    rest = " ".join(_NO_CODE.sub(" ", text).split())
    rest = re.sub(r"^[\W_]*(?:(?:this|that)\s+time|please|but|and)?[\s,:;.!—–-]*", "", rest.strip())
    rest = re.sub(r"(?:[\s,:;—–-]+(?:this time|please|but|and))*[\s,:;.!—–-]*$", "", rest)
    return rest.strip()


def count_asked(text: str) -> int:
    """How many items a person asked for ("only two ideas" -> 2), or 0."""
    found = _COUNT.search(unquoted(request_of(text)))
    return number_of(found.group(1)) if found else 0


def pick(options: Sequence[str], *keys: object) -> str:
    """One of ``options``, the same one for the same keys in every run and process."""
    return options[seed(*keys) % len(options)]


def seed(*keys: object) -> int:
    return zlib.crc32("|".join(str(k) for k in keys).encode())


def when_of(text: str) -> str:
    """The trailing "when" of a sentence ("before the summer holidays"), if any."""
    from ._demo_words import WHEN

    match = WHEN.search(re.sub(r"[\s.!?…]+$", "", text))
    return match.group(1) if match else ""


# -- what a person asks for ----------------------------------------------------------------
_OPENERS = frozenset("the a an our my this that these your their".split())


def focus_of(text: str) -> str:
    """What a person's message is about, when it names a thing ("Only the launch party is
    realistic" -> "the launch party", "What about the bins?" -> "the bins"); "" for a
    thanks, a question about the ideas on the table, or anything vaguer."""
    text = unquoted(request_of(text))
    kept = _KEEP_TO.match(TaskWords.of(text).request) if not is_question(text) else None
    if kept:  # "narrow it to ideas that cost nothing" -> "ideas that cost nothing"
        return shorten(kept.group(1), 70)
    about = re.match(r"^\W*(?:and\s+)?(?:what|how)\s+about\s+(.+?)[?.!]*$", text.strip(), re.I)
    if about and len(about.group(1).split()) <= 6:
        return about.group(1)
    if is_question(text) or approves(text):
        return ""
    words = TaskWords.of(text)
    topic = words.topic
    first = topic.split(" ", 1)[0] if topic else ""
    if not words.keywords or len(topic.split()) > 5 or not (
            first.lower() in _OPENERS or first[:1].isupper()):
        return ""
    return topic


_KEEP_TO = re.compile(r"^(?:(?:narrow|keep|limit|restrict|cut|bring|boil)\s+(?:it|this|that|them|"
                      r"the list|the ideas|it all)\s+(?:down\s+)?to|(?:focus|concentrate)\s+on)"
                      r"\s+(.+?)\W*$", re.I)
_NARROW = re.compile(r"\b(?:only|just|narrow|instead|rather|forget|drop|skip|no (?:time|staff|money|"
                     r"budget|room|one)|too (?:expensive|much|long|late))\b", re.I)


def narrows(text: str) -> bool:
    """Whether a person's statement keeps the team to one thing ("Only the party")."""
    return not is_question(text) and bool(_NARROW.search(text))


# who a question is about ("Which is easiest for retired people?" -> "retired people"), and
# the words that name a group of people (an idea named for another group does not fit)
_FOR_WHOM = re.compile(r"\bfor\s+((?:(?:the|our|a|an|young|old|older|retired|elderly|busy|"
                       r"new|local|working|single)\s+)*(?:people|parents|grandparents|children|"
                       r"kids|teens|teenagers|students|pupils|families|seniors|pensioners|"
                       r"adults|toddlers|babies|beginners|neighbours|neighbors|visitors|staff|"
                       r"volunteers|retirees))\b", re.I)
_GROUPS = frozenset("""people parents grandparents children child kids kid teens teen teenagers
    students pupils families family seniors pensioners adults toddlers babies beginners retired
    elderly retirees school class""".split())


def audience(text: str) -> str:
    """Who a question is about ("Which is easiest for retired people?" -> "retired
    people"), or ""."""
    found = _FOR_WHOM.search(request_of(text))
    return found.group(1) if found else ""


def fits(item: str, who: str) -> bool:
    """Whether a list item names no other group of people than ``who``."""
    named = {re.sub(r"'s?$", "", w) for w in re.findall(r"[a-z']+", item.lower())} & _GROUPS
    return not named or bool(named & set(who.lower().split()))


def spoken(messages: Sequence[Message]) -> list[Message]:
    """The conversation: no system prompts, no group introductions, nothing empty."""
    return [m for m in messages if m.role != "system" and (m.meta or {}).get("kind")
            != "introduction" and (m.text.strip() or m.tool_calls)]


def by_a_person(messages: Sequence[Message], index: int, *, stand_in: bool = True) -> bool:
    """Whether ``messages[index]`` holds a person's words, as the message itself says where
    they came from (its meta, set where the words entered the conversation, and kept in
    the run record so a replayed or forked run still has it):

    - ``human``: typed by a person (an answer, an interjection, a follow-up sent after the
      run ended, a chat they opened, code they refused);
    - ``edited``: an agent's message whose words a person replaced when the run was forked
      (an edited opening message is the new task instead: it is read as the task);
    - ``auto_reply``: a person's automatic stand-in reply ("Looks good"), counted when
      ``stand_in`` is true.

    Nothing is guessed from who is speaking or from what a model remembers saying: in a
    team that mixes models, another agent's message is never taken for a person's. Runs
    stored before follow-ups and edits were marked get their marks from their lineage note
    when they are read to be continued or forked (``studio.runs``), so no guess is needed
    for them either."""
    message = messages[index]
    meta = message.meta or {}
    if message.role == "tool" or message.tool_calls or not message.text.strip():
        return False
    if message.text.lstrip().startswith("exitcode:") or meta.get("kind") == "introduction":
        return False
    if meta.get("human"):
        return True
    if meta.get("edited"):
        return index > 0
    return bool(meta.get("auto_reply")) and stand_in


def edited_by_a_person(message: Message) -> bool:
    """Whether a team member's own message (not a person's, not their stand-in's) had its
    words replaced by a person when the run was forked: what follows no longer goes the
    way it went before."""
    meta = message.meta or {}
    return bool(meta.get("edited")) and not meta.get("human") and not meta.get("auto_reply")


@dataclass(frozen=True)
class Scene:
    """What an unscripted reply is made from.

    ``said`` is the conversation so far (see :func:`spoken`); ``person`` the message being
    answered when a person wrote it; ``focus`` what the latest person's message is about
    (the replies after it use it instead of the task's topic) and ``narrowed`` whether
    they said to keep to it alone; ``turn`` the agent's reply number in this conversation
    (1 for its first)."""

    agent: str
    voice: str
    task: TaskWords
    said: tuple[Message, ...]
    turn: int
    ending: bool
    person: Message | None = None
    focus: str = ""
    narrowed: bool = False
    served: frozenset[str] = field(default_factory=frozenset)
    asked: Message | None = None
    asked_at: int = -1

    @property
    def request(self) -> str:
        """What the latest person asked for, without an opening acknowledgement ("" when
        nobody did, or when they were only happy with it)."""
        if self.asked is None or approves(self.asked.text):
            return ""
        return re.sub(r"[\s.!…]+$", "", in_few_words(self.asked.text, 120))

    @property
    def count(self) -> int:
        """How many items the latest person asked for (0: they did not say)."""
        return count_asked(self.asked.text) if self.request and self.asked is not None else 0

    @property
    def first_since_asked(self) -> bool:
        """Whether this agent has not spoken since the latest person's request."""
        return bool(self.request) and not any(
            m.name == self.agent for m in self.said[self.asked_at + 1:])

    @property
    def answering(self) -> bool:
        """Whether this reply answers the latest request: the person just spoke, this
        agent has not replied to them yet, or the whole chat is about it (a nested chat
        an agent opened with the person's request)."""
        return bool(self.request) and (self.person is not None or self.first_since_asked
                                       or all(m is not self.asked for m in self.said))

    @property
    def kept_to(self) -> str:
        """The focus when it says what kind of items are wanted ("ideas that cost
        nothing"), rather than a thing to talk about ("the launch party")."""
        return self.focus if _KINDS.match(self.focus) else ""

    @property
    def latest(self) -> Message | None:
        return self.said[-1] if self.said else None

    @property
    def thing(self) -> str:
        """What the replies are about, as a noun phrase ("the classroom")."""
        focus = "" if self.kept_to else self.focus
        return focus or noun_phrase(self.task.topic) or "the task"

    @property
    def task_thing(self) -> str:
        """What the task is about, as a noun phrase, whatever a person added."""
        return noun_phrase(self.task.topic) or "the task"

    @property
    def topic(self) -> str:
        """What the task is about, as the task says it ("how bees make honey")."""
        return ("" if self.kept_to else self.focus) or self.task.topic or "the task"

    def key(self, *more: object) -> int:
        return seed(self.agent, self.turn, self.task.task, *more)

    def choose(self, options: Sequence[str], *more: object) -> str:
        return options[self.key(*more) % len(options)]

    def others(self) -> list[str]:
        """The team members heard so far (not this agent, not the person), in the order
        of who spoke least recently first."""
        last: dict[str, int] = {}
        for position, message in enumerate(self.said):
            if message.name and message.name != self.agent and message.name in self.served:
                last[message.name] = position
        return sorted(last, key=lambda name: last[name])

    def from_team(self) -> list[Message]:
        """The other members' messages (no person's, no code results)."""
        return [m for m in self.said if m.name and m.name != self.agent
                and m.name in self.served and not m.text.lstrip().startswith("exitcode:")]

    def on_table(self) -> list[str]:
        """The items proposed so far, the latest list first, without repeats."""
        seen: list[str] = []
        for listed in self.lists():
            for item in listed:
                if item.lower() not in (s.lower() for s in seen):
                    seen.append(item)
        return seen

    def lists(self) -> list[list[str]]:
        """The lists in the conversation, the latest first (an agent's own lists count
        only for a moderator, who sums up)."""
        owners = {(m.name or "").replace("_", " ").lower() for m in self.said} - {""}
        return [listed for message in reversed(self.said)
                if (message.name != self.agent or self.voice == "moderator")
                and message.role != "tool"  # what a tool returned is no list of options
                and (listed := items(message.text, owners=owners))]

    def short_list(self) -> list[str]:
        """The latest list whose items are all short names (for a sum-up), else the
        latest list."""
        lists = self.lists()
        return next((x for x in lists if all(len(i) <= 40 for i in x)), lists[0] if lists
                    else [])

    def in_sentence(self, item: str) -> str:
        """A list item going on a sentence ("start with adopt-a-bed"): its capital lower-
        cased, unless its first word is a name: written with capitals inside ("NASA",
        "iPhone") or with a capital after a lower-case word somewhere in the conversation
        ("the Millbrook library")."""
        word = re.sub(r"[^\w-]+$", "", item.split(" ", 1)[0])  # "Kids'" -> "Kids"
        if not word[:1].isupper() or any(c.isupper() for c in word[1:]) or word == "I":
            return item
        inside = re.compile(rf"[a-z0-9,;)] {re.escape(word)}\b")
        return item if any(inside.search(m.text) for m in self.said) else \
            item[:1].lower() + item[1:]

    def mentioned(self, text: str) -> bool:
        """Whether ``text`` was already said by someone in the conversation."""
        needle = text.lower()[:40]
        return any(needle in m.text.lower() for m in self.said)

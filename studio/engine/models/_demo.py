"""The Demo model: offline, deterministic, instant (or paced so a demo looks alive).

It is a scripted rehearsal, not an AI. A team carries *demo scripts* (see
``_demo_script``): one per sample task, and optionally one for any other task. The
model picks the script by the task of the run (read from the conversation's opening
message, unwrapped from the pattern's message template such as ``Challenge: {task}``),
fills the script's ``{{placeholders}}`` with the task's own words, and each agent says
its scripted lines in order; group-chat speaker selection follows the script. Once an
agent's lines are used up (or without a script) it speaks in its own voice about the
task (``_demo_voice``: an idea, a risk, an example, a question, a next step; a moderator
sums up and closes) and ends the conversation with ``TERMINATE`` after a few turns.

What a person says is answered: a reply after their answer, interjection or follow-up
takes their words in, and a team member's message edited when a run was forked turns the
script's later prose lines into replies to the conversation as it now is. Whose words a
message holds is read from the marks the engine and the studio put in its meta where the
words entered the conversation (``human``, ``edited``, ``auto_reply``: see
``_demo_scene.by_a_person``), never guessed from who speaks: in a team that mixes this
model with others, another agent's message is an agent's. A program that sends a
person's words itself (a library user's own follow-up) marks them ``{"human": True}``.
The replies after a person's request are about the request itself (an acknowledgement
before it, "Good. Now ...", is skipped): a planner plans it, a coder codes it, a writer
rewrites for it, a brainstorm keeps to what it asks ("only two ideas": two), a question
gets an answer in its words. A nested chat an agent opens (``Request: {message}``) is
about what it asks, counted on its own; the agent who opened it has the last word.

Speaker selection (group chats): after a message with a code block, an eligible agent
that has no scripted turns (the executor; without a script, one named like
``user_proxy``/``executor``) speaks next so the code really runs; otherwise the agent
of the next unused scripted turn, else the candidate who spoke least recently.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .._messages import Message, ToolCall
from .._usage import Usage
from ._demo_kinds import answered_by
from ._demo_moves import move_tool, next_move, next_player, side_of
from ._demo_recipes import recipe_for
from ._demo_roles import (
    EXECUTOR_NAME,
    arguments_for,
    conversation_length,
    detect_role,
    estimate_tokens,
    has_code,
    last_said,
    norm,
    opening,
    role_reply,
    summary_of,
)
from ._demo_scene import (
    TERMINATE,
    approves,
    by_a_person,
    computable,
    edited_by_a_person,
    focus_of,
    narrows,
    spoken,
)
from ._demo_script import (
    PLACEHOLDERS,
    DemoScript,
    DemoScriptError,
    DemoScriptItem,
    DemoToolCall,
    DemoTurn,
    parse_demo_script,
    parse_demo_scripts,
    task_key,
)
from ._demo_voice import lead_for_script
from ._demo_words import TaskWords, fill_turn, lacks_words
from ._interface import ModelRequest, ModelResponse, TokenCallback
from ._testing import _pieces

if TYPE_CHECKING:
    from .._control import CancelToken

__all__ = [
    "DEMO_LABEL", "PLACEHOLDERS", "DemoModel", "DemoPace", "DemoScript", "DemoScriptError",
    "DemoToolCall", "DemoTurn", "TaskWords", "detect_role", "parse_demo_script",
    "parse_demo_scripts",
]

DEMO_LABEL = "Demo model (offline)"
DEMO_MODEL_NAME = "demo"


class DemoPace(StrEnum):
    """How fast the Demo model streams: ``instant`` (no waiting: tests, the CLI) or
    ``readable`` (words appear one by one, each message within about a second and a half
    but never in less than 1.2 seconds, so an audience sees the conversation unfold and a
    person has time to read a short message and step in)."""

    INSTANT = "instant"
    READABLE = "readable"


_READABLE_DELAY = 0.03  # seconds per word-sized piece
_READABLE_MESSAGE_SECONDS = 1.5  # ... but a whole message streams within this
_READABLE_SHORTEST_SECONDS = 1.2  # ... and a short one (a chess move) takes at least this


class DemoModel:
    """An offline model for demos and workshops (see the module docstring).

    One instance serves every agent of a team for one run: it keeps a cursor per agent
    into the script of the run's task. ``scripts`` are ``{task, turns}`` (a script
    without a task plays for any task the others do not know); ``script`` is a single
    list of turns played whatever the task (handy in tests and small examples).
    ``task_formats`` are the templates of the opening message (``"Challenge: {task}"``)
    so that the task can be read back from it. ``pace`` (or ``token_delay`` seconds per
    word, capped by ``max_message_seconds`` per message, and stretched so that a message
    streams for at least ``min_message_seconds``) paces streaming.
    """

    label = DEMO_LABEL
    model = DEMO_MODEL_NAME

    def __init__(self, script: Iterable[DemoScriptItem] | None = None, *,
                 scripts: Iterable[DemoScript | Mapping[str, Any]] | None = None,
                 task_formats: Sequence[str] = ("{task}",),
                 pace: DemoPace | str = DemoPace.INSTANT, token_delay: float | None = None,
                 max_message_seconds: float | None = None,
                 min_message_seconds: float | None = None, replies_before_end: int = 3,
                 messages_before_end: int = 6) -> None:
        pace = DemoPace(pace)
        if token_delay is None:
            token_delay = _READABLE_DELAY if pace == DemoPace.READABLE else 0.0
            if pace == DemoPace.READABLE:
                if max_message_seconds is None:
                    max_message_seconds = _READABLE_MESSAGE_SECONDS
                if min_message_seconds is None:
                    min_message_seconds = min(_READABLE_SHORTEST_SECONDS, max_message_seconds)
        if token_delay < 0:
            raise ValueError("token_delay must be >= 0 seconds")
        if min_message_seconds is not None and max_message_seconds is not None \
                and min_message_seconds > max_message_seconds:
            raise ValueError("min_message_seconds must be <= max_message_seconds")
        self.scripts: tuple[DemoScript, ...] = parse_demo_scripts(scripts)
        if script is not None:
            if any(s.task is None for s in self.scripts):
                raise DemoScriptError("give either script (for any task) or a demo_scripts "
                                      "entry without a task, not both")
            turns = parse_demo_script(script)
            if turns:
                self.scripts += (DemoScript(turns=turns),)
        # the most specific first: "{task}" alone matches any message
        self.task_formats = tuple(sorted({f for f in task_formats if "{task}" in f} | {"{task}"},
                                         key=lambda f: (-len(f), f)))
        self.pace = pace
        self.token_delay = token_delay
        self.max_message_seconds = max_message_seconds
        self.min_message_seconds = min_message_seconds
        self.replies_before_end = replies_before_end
        self.messages_before_end = messages_before_end
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget progress: the next conversation picks its script afresh."""
        with self._lock:
            self._used: set[int] = set()
            self._replies: dict[str, int] = {}
            self._call_counter = 0
            self._chosen: DemoScript | None = None
            self._turns: tuple[DemoTurn, ...] = ()
            self._task = ""
            self._opening = ""
            self._started = False
            self._diverged = False  # a team member's message was edited: improvise prose

    @property
    def script(self) -> tuple[DemoTurn, ...]:
        """The turns of the conversation under way (empty before it starts)."""
        return self._turns

    @property
    def task(self) -> str:
        """The task of the conversation under way, as read from its opening message."""
        return self._task

    @property
    def rehearsal(self) -> str:
        """``"scripted"`` (the task has its own script), ``"adapted"`` (the script for any
        other task, filled with its words), ``"improvised"`` (role-aware replies only) or
        ``""`` before the conversation starts."""
        if not self._started:
            return ""
        if self._chosen is None:
            return "improvised"
        return "scripted" if self._chosen.task is not None else "adapted"

    @property
    def remaining_turns(self) -> int:
        with self._lock:
            return len(self._turns) - len(self._used)

    def task_of(self, message: str) -> str:
        """The task inside an opening message written from one of ``task_formats``."""
        text = message.strip()
        for template in self.task_formats:
            before, _, after = template.partition("{task}")
            match = re.fullmatch(re.escape(before.strip()) + r"\s*(.*?)\s*"
                                 + re.escape(after.strip()), text, re.S)
            if match and match.group(1).strip():
                return match.group(1).strip()
        return text

    def delay_for(self, text: str) -> float:
        """Seconds between the streamed pieces of ``text`` at this model's pace: a long
        message streams within ``max_message_seconds``, a short one (a chess move, "I
        agree.") over ``min_message_seconds``, long enough to read and to step in. The
        text itself is never padded: its few words just come in more slowly."""
        count = sum(1 for _ in _pieces(text))
        delay = self.token_delay
        if delay <= 0 or not count:
            return delay
        if self.max_message_seconds is not None:
            delay = min(delay, self.max_message_seconds / count)
        if self.min_message_seconds is not None:
            delay = max(delay, self.min_message_seconds / count)
        return delay

    # -- the ModelClient interface ----------------------------------------------------
    def complete(self, request: ModelRequest, *, cancel: CancelToken | None = None,
                 on_token: TokenCallback | None = None) -> ModelResponse:
        from .._control import Cancelled

        if cancel is not None and cancel.is_set():
            raise Cancelled()
        with self._lock:
            if not self._started:
                self._start(request)
            if request.purpose == "select_speaker":
                content: str | None = self._select(request)
                calls: tuple[ToolCall, ...] = ()
            elif request.purpose == "summary":
                content, calls = summary_of(request.messages), ()
            else:
                content, calls = self._reply(request)
        if on_token is not None and content:
            self._stream(content, on_token, cancel)
        completion = estimate_tokens(content or "") + 8 * len(calls)
        prompt = sum(estimate_tokens(m.text) + 4 for m in request.messages)
        usage = Usage(prompt_tokens=prompt, completion_tokens=completion, cost=0.0,
                      model=DEMO_MODEL_NAME)
        return ModelResponse(content=content, tool_calls=calls, usage=usage,
                             model=DEMO_MODEL_NAME,
                             finish_reason="tool_calls" if calls else "stop")

    def replay(self, request: ModelRequest, response: ModelResponse) -> None:
        """A conversation is being rebuilt from its recording: move on as if this reply had
        just been given (the script chosen, its position and the reply counters follow)."""
        with self._lock:
            if not self._started:
                self._start(request)
            if request.purpose == "reply":
                # the recording is the truth about what was said: a message a person edited
                # when the run was forked is marked so, and answered as theirs
                self._reply(request)

    # -- choosing the script ----------------------------------------------------------
    def _start(self, request: ModelRequest) -> None:
        first = opening(request.messages)
        # a retrieval proxy wraps the question in passages; it says which question it asked
        asked = next((str(m.meta["query"]) for m in request.messages
                      if m.meta.get("kind") == "retrieved_context" and m.meta.get("query")), "")
        task = asked or (self.task_of(first) if first else "")
        self._task, self._opening, self._started = task, first, True
        self._chosen = self._script_for(task, first)
        self._words = TaskWords.of(task or "the task")
        self._turns = tuple(fill_turn(t, self._words) for t in
                            (self._chosen.turns if self._chosen else ())
                            if not lacks_words(t, self._words))

    def _script_for(self, task: str, first: str) -> DemoScript | None:
        wanted = task_key(task)
        known = [s for s in self.scripts if s.task is not None]
        for script in known:
            if task_key(script.task or "") == wanted:
                return script
        whole = task_key(first)
        for script in known:  # an opening message written from a format we were not told
            if task_key(script.task or "") in whole:
                return script
        fallback = next((s for s in self.scripts if s.task is None), None)
        if fallback is not None and computable(task) and recipe_for(task) is not None and any(
                has_code(t.content or "") for t in fallback.turns):
            return None  # a program the Demo model can really write, not the stand-in
        return fallback

    # -- purposes ---------------------------------------------------------------------
    def _reply(self, request: ModelRequest) -> tuple[str | None, tuple[ToolCall, ...]]:
        agent = request.agent
        self._replies[agent] = self._replies.get(agent, 0) + 1
        served = frozenset(self._replies)
        turn = self._take_turn(agent)
        if turn is not None:
            turn = self._scripted(request, turn, served)
            turn = fill_turn(turn, self._words, last_message=last_said(request.messages))
            calls = tuple(self._tool_call(agent, c.name, dict(c.arguments))
                          for c in turn.tool_calls)
            return turn.content, calls
        call = self._maybe_call_tool(request)
        if call is not None:
            return None, (call,)
        said = spoken(request.messages)
        at = self._person_at(said)
        ending = (self._replies[agent] >= self.replies_before_end
                  or conversation_length(request.messages) > self.messages_before_end)
        nested = self._nested_request(request.messages)
        if nested is not None and at is None:
            # a chat of its own (a nested consultation): counted on its own; the agent who
            # opened it closes it on its second reply (the consulted one answers), so the
            # last word, the one passed on, is the opener's
            mine = sum(1 for m in said[1:] if m.name == agent) + 1
            ending = mine >= (2 if said and said[0].name == agent else self.replies_before_end)
            return self._improvise(request, said, at, ending, served, nested), ()
        if at is not None and (approves(said[at].text) or any(
                m.text.rstrip().endswith(TERMINATE) for m in said[:at])):
            # a person spoke after the conversation had ended (a follow-up, an answer to
            # the last message): a few more turns about what they said, unless they are happy
            stretch = said[at:]
            mine = sum(1 for m in stretch[1:] if m.name == agent) + 1
            ending = (approves(stretch[0].text) or mine >= self.replies_before_end
                      or len(stretch) > self.messages_before_end // 2)
        if at is not None and (tool := move_tool(request.tools or ())):
            # a game after its script: a real move, for the board's rule engine to check
            system = next((m.text for m in request.messages if m.role == "system"), "")
            played = next_move(said, at, agent, side_of(agent, system))
            if played is not None:
                text, moves, stop = played
                return (f"{text}\n\n{TERMINATE}" if stop else text,
                        tuple(self._tool_call(agent, tool, {"move": m}) for m in moves))
        return self._improvise(request, said, at, ending, served), ()

    def _improvise(self, request: ModelRequest, said: list[Message], at: int | None,
                   ending: bool, served: frozenset[str], nested: str = "") -> str:
        person = said[-1] if at is not None and at == len(said) - 1 else None
        asked = said[at] if at is not None else \
            Message(role="user", content=nested) if nested else None
        if asked is not None and asked.meta.get("kind") == "retrieved_context" \
                and asked.meta.get("query"):
            # a retrieval proxy's prompt: the person's words are its query, not the
            # instructions and passages around them
            asked = Message(role=asked.role, content=str(asked.meta["query"]), name=asked.name)
        focus = focus_of(asked.text) if asked is not None else ""
        narrowed = bool(focus) and asked is not None and narrows(asked.text)
        return role_reply(request, ending, self._task, person=person, focus=focus,
                          narrowed=narrowed, served=served, asked=asked,
                          asked_at=at if at is not None else 0)

    def _nested_request(self, messages: Sequence[Message]) -> str | None:
        """In a conversation other than the run's (a nested chat an agent opened), what it
        asks for when that is not the run's task ("Request: make it shorter"): "" when it
        is the task, None in the run's own conversation."""
        first = opening(messages)
        if not first or not self._opening or first == self._opening:
            return None
        asked = self.task_of(first)
        return "" if asked == first or task_key(asked) == task_key(self._task) else asked

    def _person_at(self, said: list[Message]) -> int | None:
        """The index of the latest message a person wrote (or their stand-in), if any."""
        return next((i for i in range(len(said) - 1, -1, -1) if by_a_person(said, i)), None)

    def _scripted(self, request: ModelRequest, turn: DemoTurn, served: frozenset[str]
                  ) -> DemoTurn:
        """The scripted turn, answering a person who just spoke. Once a team member's
        message was edited (the run was forked there), the script's lines no longer fit
        what was said: each prose line is replaced by a reply to the conversation as it now
        is (the same speakers, the same end); code and tool calls are kept. After a
        person's answer, interjection or follow-up, the line is said after a sentence that
        takes their words in (unless it quotes them already, with ``{{last_message}}``)."""
        said = spoken(request.messages)
        person = said[-1] if said and by_a_person(said, len(said) - 1, stand_in=False) \
            else None
        if person is not None and edited_by_a_person(person):
            self._diverged = True
        content = turn.content or ""
        if self._diverged and content.strip() and not turn.tool_calls and not has_code(content):
            ending = content.rstrip().endswith(TERMINATE)
            at = self._person_at(said)
            return DemoTurn(agent=turn.agent,
                            content=self._improvise(request, said, at, ending, served))
        if person is None or re.search(r"\{\{\s*last_message", content):
            return turn
        lead = lead_for_script(person.text)
        return DemoTurn(agent=turn.agent, content=f"{lead}\n\n{content}" if content else lead,
                        tool_calls=turn.tool_calls)

    def _take_turn(self, agent: str) -> DemoTurn | None:
        for exact in (True, False):
            for index, turn in enumerate(self._turns):
                if index in self._used:
                    continue
                same = turn.agent == agent if exact else norm(turn.agent) == norm(agent)
                if same:
                    self._used.add(index)
                    return turn
        return None

    def _select(self, request: ModelRequest) -> str:
        candidates = list(request.candidates)
        if not candidates:
            return ""
        # the selection prompt comes last and has no name: look at the last named message
        last = next((m for m in reversed(request.messages) if m.name and m.role != "system"),
                    None)
        if last is not None and has_code(last.text):
            # code waits to be run: hand the turn to an executor (an agent with no scripted
            # turns, or one named like a proxy/executor) so the code really executes
            scripted = {norm(t.agent) for t in self._turns}
            runners = ([n for n in candidates if norm(n) not in scripted] if self._turns
                       else [n for n in candidates if EXECUTOR_NAME.search(n)])
            runners = [n for n in runners if not (last.name and norm(n) == norm(last.name))]
            if runners:
                return runners[0]
        nxt = next((t for i, t in enumerate(self._turns) if i not in self._used), None)
        if nxt is not None:
            for name in candidates:
                if name == nxt.agent or norm(name) == norm(nxt.agent):
                    return name
            return candidates[0]
        # a change to an errand's or a game's answer is made by whoever gave it
        author = norm(answered_by(spoken(request.messages), self._task) or "-")
        # ... and in a game, the board says whose move it is ("Black to move")
        return next((n for n in candidates if norm(n) == author), None) \
            or next_player(request.messages, candidates) or self._round(request)

    def _round(self, request: ModelRequest) -> str:
        candidates = list(request.candidates)
        # unscripted: the candidate who spoke least recently (round robin in effect)
        last_spoke = {name: -1 for name in candidates}
        for position, message in enumerate(request.messages):
            for name in candidates:
                if message.name and norm(message.name) == norm(name):
                    last_spoke[name] = position
        return min(candidates, key=lambda n: (last_spoke[n], candidates.index(n)))

    def _maybe_call_tool(self, request: ModelRequest) -> ToolCall | None:
        """Without a script: call one offered tool once per conversation, then answer."""
        if not request.tools or request.tool_choice == "none":
            return None
        if any(m.tool_calls or m.role == "tool" for m in request.messages):
            return None
        functions = [t.get("function", t) for t in request.tools]
        chosen = functions[0]
        if isinstance(request.tool_choice, dict):
            wanted = (request.tool_choice.get("function") or {}).get("name")
            chosen = next((f for f in functions if f.get("name") == wanted), chosen)
        arguments = arguments_for(chosen.get("parameters") or {},
                                  self._task or opening(request.messages))
        return self._tool_call(request.agent, str(chosen.get("name", "tool")), arguments)

    def _tool_call(self, agent: str, name: str, arguments: dict[str, Any]) -> ToolCall:
        self._call_counter += 1
        return ToolCall(id=f"call_demo_{self._call_counter}", name=name,
                        arguments=json.dumps(arguments, ensure_ascii=False))

    def _stream(self, text: str, on_token: TokenCallback, cancel: CancelToken | None) -> None:
        from .._control import Cancelled

        pieces = list(_pieces(text))
        delay = self.delay_for(text)
        pause = threading.Event()  # a private wait when no cancel token is given
        start = time.monotonic()
        for index, piece in enumerate(pieces):
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            if delay > 0:
                # on a schedule, not a sleep per piece: time lost elsewhere (a busy machine,
                # the page being drawn) is not added on top, so a message keeps its pace
                wait = start + (index + 1) * delay - time.monotonic()
                if wait > 0 and (cancel.wait(wait) if cancel is not None else pause.wait(wait)):
                    raise Cancelled()
            on_token(piece)

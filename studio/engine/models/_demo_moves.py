"""The Demo model playing on after its game's script ran out (a person's "Play on." or a
question after the sample game): each player sends a real move to the board's tool, as in
the sample run, so the board's rule engine checks it, instead of only talking about moves.

The Demo model knows no rules: it tries a plain opening move (the board refuses an illegal
one and lists the legal ones, which it picks from next), and past the opening it asks the board for the legal moves and picks one (a mate, a check, a
capture first). Once a game is over, White asks the board for a new one. The floor goes by
the players' own words: after a move the other side's, after a look at the board the same
player's (a speaker is chosen without the board's reports)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .._messages import Message
from ._demo_plans import CHANGE_IT
from ._demo_scene import approves, in_few_words, is_question, seed

# what a board says: whose move it is, the moves it allows, that the game is over
_TO_MOVE = re.compile(r"\b(White|Black) to move\b")
_LEGAL = re.compile(r"Legal moves: ([^\n]+)")
_OVER = re.compile(r"\bThe game is over\b|\bCheckmate\b|\bStalemate\b|\bdraw\b", re.I)
_SO_FAR = re.compile(r"Moves so far: ([^\n]+)")
# plain opening moves to try, by side, before the board has listed the legal ones
_TRIES = {"white": ("e4", "Nf3", "d4", "Nc3", "c4", "g3"),
          "black": ("e5", "Nf6", "d5", "Nc6", "c5", "g6")}


def side_of(agent: str, system: str) -> str:
    """The side an agent plays ("white", "black"), by its name or its system message."""
    own = re.search(r"\byou\s+(?:play|are|have)\s+(?:the\s+)?(white|black)\b", system, re.I)
    if own:  # "your opponent plays White; you play Black": Black
        return own.group(1).lower()
    for text in (agent, system):
        found = re.search(r"\b(white|black)\b", text, re.I)
        if found:
            return found.group(1).lower()
    return ""


def move_tool(tools: Sequence[Mapping[str, Any]]) -> str:
    """The name of an offered tool that takes a move (``make_move``), or ""."""
    for tool in tools:
        function = tool.get("function", tool)
        if "move" in ((function.get("parameters") or {}).get("properties") or {}):
            return str(function.get("name", ""))
    return ""


def next_player(messages: Sequence[Message], candidates: Sequence[str]) -> str:
    """Who plays next, by the players' own last words (the board's reports are not among
    the messages a speaker is chosen by): the side a player named ("White to move"), the
    same player after it asked the board for the legal moves, else the other one after a
    move; "" when no player has spoken in this way."""
    sides = {side_of(name, ""): name for name in candidates if side_of(name, "")}
    last = next((m for m in reversed(messages) if m.name and m.text.strip()
                 and side_of(m.name, "") in sides), None)
    if last is None or len(sides) < 2 or last.name is None:
        return ""
    named = _TO_MOVE.search(last.text)
    if named:
        return sides.get(named.group(1).lower(), "")
    mine = side_of(last.name, "")
    if _LOOKS.search(last.text):
        return sides[mine]
    other = next(name for side, name in sides.items() if side != mine)
    return other if _PLAYS.search(last.text) else ""


_LOOKS = re.compile(r"\bLet me see the board\b")
_PLAYS = re.compile(r"\bI play \S+\.")


def next_move(said: Sequence[Message], at: int, agent: str, side: str
              ) -> tuple[str, tuple[str, ...], bool] | None:
    """What ``agent`` (playing ``side``) says after a person's message at ``at`` that asks
    for no change to an answer: (text, the moves it sends, whether it ends the run); None
    when this is no such turn (no follow-up after the game, or a change to its last word)."""
    if at < 0 or not side or not any(m.text.rstrip().endswith("TERMINATE") for m in said[:at]):
        return None  # not after a follow-up: the script (or the usual reply) plays
    words = in_few_words(said[at].text)
    if CHANGE_IT.match(words) or approves(said[at].text):
        return None  # a change to the last word, or thanks: no move asked for
    board = _board_said(said)
    since = said[at + 1:]
    mine = [m for m in since if m.name == agent]
    lead = "" if any(side_of(m.name or "", "") for m in since) else (
        f"You asked: \"{words}\" The Demo model cannot weigh that; it can play on. "
        if is_question(said[at].text) else f"Taking in what you said (\"{words}\"): ")
    played = [m for m in since if m.role == "tool" and re.match(
        rf"Legal: {side.capitalize()} plays", m.text)]
    if len(played) >= _MOVES_EACH:
        so_far = _SO_FAR.findall("\n".join(m.text for m in since))
        where = f" Moves so far: {so_far[-1]}." if so_far else ""
        turn = _TO_MOVE.search(board)
        whose = f" {turn.group(0)}." if turn and not _OVER.search(board) else ""
        return (f"{lead}That is where I stop for now.{where}{whose} Say \"Play on.\" for "
                "more moves.", (), True)
    if _OVER.search(board):
        if side != "white":
            return f"{lead}The game is over; White starts the next one.", (), False
        return (f"{lead}That game is over, so we start a new one. I play "
                f"{_TRIES[side][0]}.", ("new", _TRIES[side][0]), False)
    turn = _TO_MOVE.search(board)
    if turn and turn.group(1).lower() != side:
        return f"{lead}{turn.group(1)} to move, says the board: over to you.", (), False
    legal = _LEGAL.search(board)
    if legal:
        move = _best([m.strip() for m in legal.group(1).split(",") if m.strip()], agent)
        line = ("From the legal moves the board lists, I play {m}." if side == "white"
                else "Of the moves the board allows, I play {m}.")
        return f"{lead}{line.format(m=move)}", (move,), False
    so_far = _SO_FAR.findall(board)
    tried = {c for m in mine for c in re.findall(r"I play (\S+?)\.", m.text)}
    move = next((m for m in _TRIES[side] if m not in tried), "")
    if not move or so_far and len(re.findall(r"[a-zA-Z]\S*", so_far[-1])) >= len(_TRIES[side]):
        # past the opening moves it knows: the board lists the legal moves first
        look = ("Let me see the board's legal moves first." if side == "white"
                else "Let me see the board first: which moves are legal?")
        return f"{lead}{look}", ("board",), False
    return f"{lead}I play {move}.", (move,), False


_MOVES_EACH = 3  # moves a player makes after a follow-up before it stops for the person


def _best(legal: list[str], agent: str) -> str:
    """A mate, else a check, else a capture, else any legal move (chosen by the agent)."""
    for mark in ("#", "+", "x"):
        marked = [m for m in legal if mark in m]
        if marked:
            return marked[seed(agent, mark) % len(marked)]
    return legal[seed(agent, len(legal)) % len(legal)]


def _board_said(messages: Sequence[Message]) -> str:
    """The board's latest report (the result of the move tool), or ""."""
    return next((m.text for m in reversed(messages) if m.role == "tool"), "")

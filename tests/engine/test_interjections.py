"""A person's interjection is never dropped (proposed as an ENGINE_BEHAVIOUR.md case).
Whenever it is sent -- during any model call of a chess-like group (tool calls every turn, a
board that executes them), of a plain two-agent chat, or inside a nested chat -- it is
either delivered before a later turn or handed back by ``close_interjections`` when the run
ended first; a message sent after that is refused, not queued."""

from __future__ import annotations

import pytest

from studio.engine import (
    ConversableAgent,
    FunctionModel,
    GroupChat,
    GroupChatManager,
    HumanInput,
    Message,
    NestedChat,
    RunControl,
    ScriptedModel,
    StopReason,
    ToolCall,
)

NOTE = "please explain each move"


def agent(name: str, **kw) -> ConversableAgent:
    kw.setdefault("human_input", HumanInput.NEVER)
    return ConversableAgent(name, **kw)


def make_move(move: str) -> str:
    """Play a move on the board.

    Args:
        move: The move, e.g. e2e4.
    """
    return f"Legal: {move}."


def interjecting_player(control: RunControl, moves: list[str], counter: list[int], at: int,
                        last_words: str):
    """A player's model: one make_move call per turn, then ``last_words``; the person steps
    in during the ``at``-th model call of the whole team."""
    turns = iter(moves)

    def reply(request):
        counter[0] += 1
        if counter[0] == at:
            control.interject(NOTE)
        move = next(turns, None)
        if move is None:
            return last_words
        return [ToolCall(id=f"call_{counter[0]}", name="make_move",
                         arguments=f'{{"move": "{move}"}}')]

    return reply


def chess_like_run(at: int) -> tuple[list[Message], list[str], StopReason]:
    control = RunControl()
    counter = [0]
    white = agent("white", model=FunctionModel(interjecting_player(
        control, ["e2e4", "d1h5"], counter, at, "Mate soon.")), tools=[make_move])
    black = agent("black", model=FunctionModel(interjecting_player(
        control, ["e7e5", "b8c6"], counter, at, "I resign. TERMINATE")), tools=[make_move])
    board = agent("board", tools_for_execution=[make_move], max_consecutive_auto_reply=50)
    played: list[ConversableAgent] = []

    def next_speaker(last, chat):  # the board after each move, the players in turn
        if last is not board:
            played.append(last)
            return board
        return black if played and played[-1] is white else white

    chat = GroupChat([board, white, black], max_round=30, speaker_selection=next_speaker)
    result = board.initiate_chat(GroupChatManager(chat), "Play.", control=control)
    return chat.messages, control.close_interjections(), result.stop_reason


def delivered(messages: list[Message]) -> list[Message]:
    return [m for m in messages if m.meta.get("interjection")]


@pytest.mark.parametrize("at", range(1, 7))
def test_chess_like_group_delivers_or_hands_back_the_interjection(at):
    messages, left, reason = chess_like_run(at)
    assert reason == StopReason.TERMINATION
    got = delivered(messages)
    if at < 6:  # a later turn follows: it is delivered before it
        assert [m.content for m in got] == [NOTE] and left == []
        index = messages.index(got[0])
        assert not messages[index - 1].tool_calls  # never between a call and its result
        assert index < len(messages) - 1  # and an agent spoke after it
    else:  # sent while the last message was being written: the run ended first
        assert got == [] and left == [NOTE]


@pytest.mark.parametrize("at", [1, 2, 3])
def test_two_agent_chat_delivers_or_hands_back_the_interjection(at):
    control = RunControl()
    count = [0]

    def reply(request):
        count[0] += 1
        if count[0] == at:
            control.interject(NOTE)
        return f"reply {count[0]}"

    user = agent("user", max_consecutive_auto_reply=5)
    bot = agent("bot", model=FunctionModel(reply))
    result = user.initiate_chat(bot, "hi", max_turns=3, control=control)
    left = control.close_interjections()
    assert result.stop_reason == StopReason.MAX_TURNS
    got = delivered(result.history)
    if at < 3:
        assert [m.content for m in got] == [NOTE] and left == []
    else:
        assert got == [] and left == [NOTE]


def test_an_interjection_during_a_nested_chat_is_delivered_inside_it():
    control = RunControl()

    def critic_reply(request):
        if len([m for m in request.messages if m.role == "user"]) == 1:
            control.interject(NOTE)
            return "needs a title"
        return "better. TERMINATE"

    critic = agent("critic", model=FunctionModel(critic_reply))
    writer = agent("writer", model=ScriptedModel(["A poem, with a title."], then="ok"))
    writer.register_nested_chats([NestedChat(recipient=critic, max_turns=2)])
    user = agent("user", max_consecutive_auto_reply=0)
    user.initiate_chat(writer, "write a poem", control=control)
    nested = writer.history(critic)
    assert NOTE in [m.content for m in nested if m.meta.get("interjection")]
    assert control.close_interjections() == []


def test_after_the_run_ended_an_interjection_is_refused_not_queued():
    control = RunControl()
    agent("a").initiate_chat(agent("b", model=ScriptedModel(["TERMINATE"])), "hi",
                             control=control)
    assert control.interject("left over")
    assert control.close_interjections() == ["left over"]
    assert control.interject("too late") is False
    assert control.close_interjections() == []

"""A person's change after a finished Demo run of a game, an errand or a brainstorm, as
replays of the bundled templates showed them: the answer changed by whoever gave it, no
line said twice, an errand written as the steps it is, a teammate named, not quoted."""

from __future__ import annotations

import pytest

from .test_demo_followups import follow_up


def lines_of(replies: list[tuple[str, str]]) -> list[str]:
    return [line.strip() for _, text in replies for line in text.splitlines()
            if line.strip() and line.strip() != "TERMINATE"]


@pytest.mark.parametrize("words", ["Make it shorter.", "Play on."])
def test_the_players_of_a_game_say_no_line_twice(make_manager, words):
    before, replies = follow_up(make_manager(), "chess_game", words)
    said = lines_of(replies)
    # "Next step: make the next move in a quick game and say in one line why.", three times
    assert len(said) == len(set(said)), said
    for line in said:
        for part in line.split(". "):
            assert len(part) < 30 or sum(part in s for s in said) == 1, (part, said)


def test_a_change_to_a_games_last_word_is_made_by_its_player(make_manager):
    before, replies = follow_up(make_manager(), "chess_game", "Make it shorter.")
    who, last = before[-1]  # "Checkmate in four moves: the scholar's mate. I should have ..."
    assert [w for w, text in replies if text.strip()] == [who], replies
    reply = replies[0][1]
    assert reply.startswith('Shorter, as you asked ("Make it shorter."):'), reply
    assert "Checkmate in four moves" in reply and len(reply) < len(last) + 40, reply
    assert reply.rstrip().endswith("TERMINATE")


def test_a_change_to_an_errands_answer_is_made_by_whoever_answered(make_manager):
    before, replies = follow_up(make_manager(), "decision_grounding", "Make it shorter.")
    said = [(who, text) for who, text in replies if text.strip()]
    # the grounding agent answered first: "I take that on board. One more note on ..."
    assert [who for who, _ in said] == ["assistant"], said
    assert not any("take that on board" in text for _, text in said), said

"""A person's change after a finished Demo run of a game, an errand or a brainstorm, as
replays of the bundled templates showed them: the answer changed by whoever gave it, no
line said twice, an errand written as the steps it is, a teammate named, not quoted."""

from __future__ import annotations

import re

import pytest

from studio.engine.models._demo_phrases import IDEAS
from studio.runs import continue_run
from studio.spec import load_bundled_template
from studio.store import Actor

from .test_demo_followups import follow_up
from .test_demo_lineage import ended, finished
from .test_lineage import said

LOCAL = Actor.local()


def lines_of(replies: list[tuple[str, str]]) -> list[str]:
    return [line.strip() for _, text in replies for line in text.splitlines()
            if line.strip() and line.strip() != "TERMINATE"]


@pytest.mark.parametrize("words", ["Make it shorter.", "Play on."])
def test_the_players_of_a_game_say_no_line_twice(make_manager, words):
    before, replies = follow_up(make_manager(), "chess_game", words)
    said = lines_of([(who, text) for who, text in replies if who != "board"])  # no diagrams
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


def test_a_writer_and_critic_treat_an_errand_as_the_steps_it_takes(make_manager):
    manager = make_manager()
    spec = load_bundled_template("writer_with_critic")
    first = finished(manager, spec, "Clean the mug in the coffee machine")
    before = said(manager, first)
    after = ended(manager, continue_run(manager, LOCAL, first, "Make it friendlier.",
                                        human="never"))
    replies = after[len(before) + 1:]
    # "New draft of a short text on the mug in the coffee machine ... Opening: ..."
    assert not any("short text" in text for _, text in replies), replies
    advice = next(text for who, text in replies if who == "critic")
    assert advice.startswith("Before the new draft of the steps to clean the mug in the "
                             "coffee machine") and "Make it friendlier" in advice, advice
    assert "smell" not in advice and "picture" not in advice, advice  # a poem's aims
    who, final = replies[-1]
    assert who == "writer" and final.startswith(
        "Final version of the steps to clean the mug in the coffee machine"), final
    assert "- Your change: make it friendlier." in final and "- Step 1:" in final, final


def runs_of(text: str, size: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"[\w'-]+", text.lower())
    return {tuple(words[i:i + size]) for i in range(len(words) - size + 1)}


@pytest.mark.parametrize(("template", "words", "said_by", "heard_by"), [
    ("brainstorm", "Which is easiest?", "dreamer", "realist"),
    # (chess players after "Play on." now say their moves, "I play e5.": nothing to quote)
])
def test_a_member_names_what_another_said_without_quoting_it(make_manager, template, words,
                                                             said_by, heard_by):
    _, replies = follow_up(make_manager(), template, words)
    theirs = set().union(*(runs_of(text) for who, text in replies if who == said_by))
    mine = [text for who, text in replies if who == heard_by]
    # 'On dreamer's point, "my answer is adopt-a-bed for a month, the next easiest to…"'
    assert theirs and mine and not any(runs_of(text) & theirs for text in mine), replies
    if template == "brainstorm":
        assert any(text.startswith("On dreamer's pick, adopt-a-bed for a month: ")
                   for text in mine), mine


@pytest.mark.parametrize(("template", "result"), [
    ("math_problem_solving", "The sum of their squares is 4 + 1 + 1 + 4 = \\boxed{10}."),
    ("math_with_human", "The probability is \\boxed{\\frac{1}{8}}."),
    ("tool_helper", "350 F is about 176.7 C. And 12% of 2400 is 288."),
])
def test_a_shorter_answer_keeps_its_result(make_manager, template, result):
    before, replies = follow_up(make_manager(), template, "Make it shorter.")
    said = [(who, text) for who, text in replies if text.strip()]
    # "Nothing for me to compute in 'Make it shorter.'", or "Draft 5 of a short text on a
    # recipe" three times over
    who, reply = said[0]
    assert who in {w for w, _ in before} and "compute" not in reply, said
    assert reply.startswith('Shorter, as you asked ("Make it shorter."):\n' + result), reply
    assert reply.rstrip().endswith("TERMINATE")
    assert [w for w, _ in said[1:]] in ([], [before[0][0]]), said  # at most the check


def test_a_coder_given_passages_shortens_its_answer_to_the_persons_request(make_manager):
    manager = make_manager()
    spec = load_bundled_template("retrieval_code")
    first = finished(manager, spec, spec.default_task)
    before = said(manager, first)
    after = ended(manager, continue_run(manager, LOCAL, first, "Make it shorter.",
                                        human="never"))
    replies = [(who, text) for who, text in after[len(before):] if who == "coder"]
    # a stand-in script about "Write Python for the task below using the numbered ..."
    assert len(replies) == 1 and "```" not in replies[0][1], replies
    assert replies[0][1].startswith(
        'Shorter, as you asked ("Make it shorter."):\nThe correlation is about 0.99 and the '
        "regression line is score = 5.60 * hours + 46.20."), replies


def project_words(replies: list[tuple[str, str]]) -> list[str]:
    """The group project's stock phrases in ``replies`` ("a photo of homework at its
    best", "one week with a clear owner for the sky", "a five-minute slot")."""
    stock = [name for name, _ in IDEAS] + ["at its best", "clear owner", "two volunteers",
                                           "who decides when"]
    return [s for s in stock for _, text in replies if s in text]


@pytest.mark.parametrize("words", ["Make it shorter.", "What about secondary schools?"])
def test_a_debate_follow_up_keeps_to_the_motion_and_ends_on_a_verdict(make_manager, words):
    before, replies = follow_up(make_manager(), "debate_judge", words)
    assert not project_words(replies), replies
    who, last = replies[-1]
    verdict = before[-1][1].split("Verdict: ", 1)[1].split()[:6]  # "a close debate, won ..."
    # "A question for proponent: who decides when homework counts as done well?"
    assert who == "judge" and f"Verdict: {' '.join(verdict)}" in " ".join(last.split()), last
    assert last.rstrip().endswith("TERMINATE") and "?\n" not in last, last
    if words == "Make it shorter.":
        assert all(text.startswith('Shorter, as you asked ("Make it shorter."):')
                   for _, text in replies), replies


@pytest.mark.parametrize("words", ["Make it shorter.", "Why are clouds white?"])
def test_a_lesson_follow_up_keeps_to_the_lesson(make_manager, words):
    _, replies = follow_up(make_manager(), "teacher_student", words)
    assert not project_words(replies), replies
    if words == "Make it shorter.":  # the teacher's steps, each in a clause
        assert replies[0] == ("teacher", 'Shorter, as you asked ("Make it shorter."):\n'
                              "1. Sunlight looks white but is a mix of all colours.\n"
                              "2. Air is full of tiny molecules.\n"
                              "3. Those tiny molecules scatter short waves (blue) far more "
                              "than long waves (red).\n"
                              "So blue light bounces around the whole sky.\n\nTERMINATE")


def test_players_make_moves_the_board_checks_after_a_follow_up(make_manager):
    manager = make_manager()
    spec = load_bundled_template("chess_game")
    run = finished(manager, spec, spec.default_task)
    opening = ('Taking in what you said ("Play on."): That game is over, so we start a new '
               "one. I play e4.", 'Taking in what you said ("Play on."): Let me see the '
               "board's legal moves first.")
    for first in opening:  # "Play on." after the sample's checkmate, then mid-game
        before = said(manager, run)
        run = continue_run(manager, LOCAL, run, "Play on.", human="never")
        replies = ended(manager, run)[len(before) + 1:]
        played = [text for who, text in replies if who == "board" and text.startswith(
            "Legal: ")]
        # "Next step: make the next move in a quick game and say in one line why."
        assert len(played) >= 6, replies
        assert played[-1].split("Moves so far: ")[1].count(".") >= 3, played[-1]
        who, last = replies[-1]
        assert who in ("white", "black") and last.rstrip().endswith("TERMINATE"), last
        assert "Moves so far: " in last and 'Say "Play on." for more moves.' in last, last
        assert replies[0] == ("white", first), replies
        # the player whose move it is has the floor: no "over to you" in between
        assert not any("over to you" in text for _, text in replies), replies

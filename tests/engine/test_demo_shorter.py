"""The Demo model's small readings: a shorter answer keeps its figures; a player's side."""

from __future__ import annotations

from studio.engine.models._demo_moves import side_of
from studio.engine.models._demo_plans import _with_figures


def test_a_shorter_answer_keeps_the_figure_each_part_was_kept_for() -> None:
    assert _with_figures(["In total, you pay 42 dollars, and the tip is 6."]) == \
        "In total, you pay 42 dollars and the tip is 6."
    assert _with_figures(["350 F is about 176.7 C, so set the oven to 180.",
                          "And 12% of 2400 is 288."]) == "350 F is about 176.7 C. And 12% of 2400 is 288."


def test_a_player_plays_the_side_its_system_message_gives_it() -> None:
    assert side_of("player_b", "Your opponent plays White; you play Black.") == "black"
    assert side_of("white", "You are a chess player.") == "white"

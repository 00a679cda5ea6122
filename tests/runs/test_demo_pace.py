"""The Demo model's readable pace leaves a person time to read and step in: the chess
sample game (short moves) took about 4 s to watch, every move streamed in about 0.2 s."""

from __future__ import annotations

from studio.engine import DemoModel
from studio.engine.models._demo import _pieces
from studio.spec import load_bundled_template

from .test_demo_lineage import finished
from .test_lineage import said


def test_every_chess_move_stays_on_screen_long_enough_to_read(make_manager):
    spec = load_bundled_template("chess_game")
    manager = make_manager()  # instant, as tests and the CLI run: what is said, not how fast
    moves = [text for who, text in said(manager, finished(manager, spec, spec.default_task))
             if who in ("white", "black") and text]
    assert len(moves) >= 8
    readable = DemoModel(pace="readable")
    # how long each move takes to stream: its pieces (as the stream cuts them) times the pause
    seconds = [readable.delay_for(text) * len(list(_pieces(text))) for text in moves]
    assert min(seconds) >= 1.2 - 1e-9, list(zip(moves, seconds, strict=True))
    assert max(seconds) <= 1.5 + 1e-9, "a long message still streams within 1.5 s"
    assert sum(seconds) >= 1.2 * len(moves)

"""The chess board behind the chess template: move counts over standard test positions
(perft), every special move, how games end, and what the make_move tool tells players."""

from __future__ import annotations

import json

import pytest
from studio.components.tools._chess import Board, IllegalMove

from studio.engine import Message, ToolCall, ToolContext
from studio.spec import Registry

# Published perft counts (chessprogramming.org "Perft Results"): the number of move
# sequences of each length from the position. Any missing or extra legal move changes them.
PERFT = [
    ("start", "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1", [20, 400, 8902]),
    ("kiwipete", "r3k2r/p1ppqpb1/bn2pnp1/3PN3/1p2P3/2N2Q1p/PPPBBPPP/R3K2R w KQkq - 0 1",
     [48, 2039, 97862]),
    ("position 3", "8/2p5/3p4/KP5r/1R3p1k/8/4P1P1/8 w - - 0 1", [14, 191, 2812, 43238]),
    ("position 4", "r3k2r/Pppp1ppp/1b3nbN/nP6/BBP1P3/q4N2/Pp1P2PP/R2Q1RK1 w kq - 0 1",
     [6, 264, 9467]),
    ("position 5", "rnbq1k1r/pp1Pbppp/2p5/8/2B5/8/PPP1NnPP/RNBQK2R w KQ - 1 8", [44, 1486, 62379]),
]


@pytest.mark.parametrize("name, fen, counts", PERFT, ids=[p[0] for p in PERFT])
def test_perft_counts_match_the_published_ones(name, fen, counts):
    board = Board(fen)
    assert [board.perft(depth) for depth in range(1, len(counts) + 1)] == counts
    assert board.fen() == fen  # every move was taken back exactly


def test_perft_4_from_the_start():
    assert Board().perft(4) == 197281


class Conversation:
    """Calls make_move the way the board agent does: with the conversation so far, from
    which the tool replays the game."""

    def __init__(self) -> None:
        self.tool = Registry.bundled().tools["make_move"].tool()
        self.messages = [Message(role="user", content="Let's play.", name="board")]

    def __call__(self, text: str) -> str:
        call = ToolCall(id=f"call{len(self.messages)}", name="make_move",
                        arguments=json.dumps({"move": text}))
        self.messages.append(Message(role="assistant", name="player", tool_calls=(call,)))
        context = ToolContext(agent="board", call_id=call.id, messages=tuple(self.messages))
        content, is_error = self.tool.invoke(call.arguments, context)
        assert not is_error, content
        self.messages.append(Message(role="tool", content=content, tool_call_id=call.id,
                                     name="make_move"))
        return content


@pytest.fixture
def move():
    return Conversation()


def play(move, *moves: str) -> str:
    out = ""
    for m in moves:
        out = move(m)
        assert out.startswith("Legal"), (m, out)
    return out


def test_castling_both_ways_in_both_notations(move):
    play(move, "e2e4", "e7e5", "g1f3", "b8c6", "f1c4", "d7d6", "d2d3", "c8g4", "b1c3", "d8d7")
    said = move("e1g1")
    assert said.startswith("Legal: White plays O-O (e1g1), castling kingside. Black to move.")
    assert "1 | R . B Q . R K . |" in said  # the rook jumped to f1
    said = move("O-O-O")
    assert said.startswith("Legal: Black plays O-O-O (e8c8), castling queenside.")
    assert "8 | . . k r . b n r |" in said


def test_castling_is_refused_when_the_rules_forbid_it():
    board = Board("r3k2r/8/8/8/8/8/8/R3K2R w KQkq - 0 1")
    assert board.san(board.parse("e1g1")) == "O-O"
    moved = Board("r3k2r/8/8/8/8/8/8/R3K2R w Qkq - 0 1")  # the h1 rook has moved
    with pytest.raises(IllegalMove, match="can no longer castle on the kingside"):
        moved.parse("e1g1")
    through = Board("r3k2r/8/8/8/8/8/5r2/R3K2R w KQkq - 0 1")  # the f2 rook covers f1
    with pytest.raises(IllegalMove, match="may not cross or land on an attacked square"):
        through.parse("O-O")
    attacked = Board("r3k2r/8/8/8/8/8/6r1/R3K2R w KQkq - 0 1")  # g2 rook covers g1
    with pytest.raises(IllegalMove, match="may not cross or land on an attacked square"):
        attacked.parse("e1g1")
    check = Board("r3k2r/8/8/8/4r3/8/8/R3K2R w KQkq - 0 1")
    with pytest.raises(IllegalMove, match="cannot castle out of check"):
        check.parse("e1c1")
    blocked = Board("r3k2r/8/8/8/8/8/8/RN2K2R w KQkq - 0 1")
    with pytest.raises(IllegalMove, match="squares between king and rook empty"):
        blocked.parse("O-O-O")
    # the b1 square may be attacked when castling queenside: only the king's path counts
    board = Board("1r2k3/8/8/8/8/8/8/R3K3 w Q - 0 1")
    assert board.san(board.parse("e1c1")) == "O-O-O"


def test_en_passant_only_right_after_the_double_step(move):
    play(move, "e2e4", "a7a6", "e4e5", "d7d5")
    said = move("e5d6")
    assert said.startswith("Legal: White plays exd6 (e5d6), taking en passant.")
    assert "5 | . . . . . . . . |" in said  # the d5 pawn is gone
    late = Board("4k3/8/8/3pP3/8/8/8/4K3 w - - 0 1")  # no double step just happened
    with pytest.raises(IllegalMove):
        late.parse("e5d6")


def test_en_passant_that_would_expose_the_king_is_illegal():
    board = Board("8/8/8/KPp4r/8/8/8/4k3 w - c6 0 1")  # taking would open the rank to h5
    with pytest.raises(IllegalMove, match="would leave the White king in check"):
        board.parse("b5c6")


def test_every_promotion_piece_and_capturing_promotion(move):
    board = Board("r3k3/1P6/8/8/8/8/8/4K3 w - - 0 1")
    assert {m.promotion for m in board.legal_moves() if m.start == board.parse("b7b8q").start
            and m.promotion} == {"q", "r", "b", "n"}
    knight = board.parse("b7a8n")
    assert board.san(knight) == "bxa8=N"
    board.play(knight)
    assert board.squares[56] == "N"
    assert Board("r3k3/1P6/8/8/8/8/8/4K3 w - - 0 1").parse("bxa8=R").promotion == "r"
    with pytest.raises(IllegalMove, match="say which piece it becomes"):
        Board("r3k3/1P6/8/8/8/8/8/4K3 w - - 0 1").parse("b7b8")
    assert move("new").startswith("New game.")
    play(move, "a2a4", "b7b5", "a4b5", "a7a6", "b5a6", "c8b7", "a6b7", "h7h6")
    said = move("b7a8n")
    assert said.startswith("Legal: White plays bxa8=N (b7a8n), promoting to a knight.")


def test_how_games_end():
    mate = Board()
    for m in ("f3", "e5", "g4"):
        mate.play(mate.parse(m))
    assert mate.san(mate.parse("Qh4")) == "Qh4#"
    mate.play(mate.parse("Qh4"))
    assert mate.outcome() == "Checkmate: Black wins"
    assert Board("7k/5Q2/6K1/8/8/8/8/8 b - - 0 1").outcome() == "Stalemate: a draw"
    assert Board("8/8/4k3/8/8/2B5/8/4K3 w - - 0 1").outcome().startswith("Draw: neither side")
    assert Board("8/8/4k3/8/8/2N5/8/4KR2 w - - 0 1").outcome() is None
    fifty = Board("8/8/4k3/8/8/8/8/4K2R w - - 100 80")
    assert fifty.outcome() == "Draw by the fifty-move rule"
    repeat = Board()
    for m in ("Nf3", "Nf6", "Ng1", "Ng8") * 2:
        repeat.play(repeat.parse(m))
    assert repeat.outcome() == "Draw by threefold repetition"


def test_standard_notation_is_disambiguated():
    board = Board("4k3/8/8/8/8/8/4K3/R6R w - - 0 1")
    assert board.san(board.parse("a1d1")) == "Rad1"
    assert board.san(board.parse("Rhf1")) == "Rhf1"
    behind_king = Board("4k3/8/8/8/8/8/8/R3K2R w - - 0 1")  # the king blocks the a1 rook
    assert behind_king.san(behind_king.parse("h1f1")) == "Rf1"
    rooks = Board("4k3/R7/8/8/8/8/8/R3K3 w - - 0 1")
    assert rooks.san(rooks.parse("a1a4")) == "R1a4"
    with pytest.raises(IllegalMove, match="not a legal move for White"):
        board.parse("Rd3")  # neither rook reaches d3
    pinned = Board("4k3/4r3/8/8/8/8/4N3/4K3 w - - 0 1")
    with pytest.raises(IllegalMove, match="e2-c3 would leave the White king in check"):
        pinned.parse("Nc3")


def test_the_tool_explains_illegal_moves_and_lists_legal_ones(move):
    assert move("new").startswith("New game. White to move.")
    said = move("f1c4")
    assert said.startswith("Illegal: a white bishop cannot move f1-c4. White to move.")
    assert "Legal moves: Na3, Nc3, Nf3, Nh3, a3, a4" in said
    play(move, "e2e4")
    assert move("e2e3").startswith("Illegal: there is no piece on e2")
    assert move("d2d4").startswith("Illegal: it is Black's move and d2 holds a White pawn")
    play(move, "e7e5", "d2d4", "f8b4")
    said = move("g1f3")
    assert said.startswith("Illegal: g1-f3 does not get the White king out of check. "
                           "White to move (in check).")
    play(move, "b1c3", "a7a6")
    assert move("c3d5").startswith("Illegal: c3-d5 would leave the White king in check")  # pinned
    assert move("e1e3").startswith("Illegal: a white king cannot move e1-e3")
    assert move("zz").startswith("Illegal: 'zz' is not a move: write it like e2e4")
    shown = move("board")
    assert shown.startswith("White to move.") and "Moves so far: 1. e4 e5 2. d4 Bb4+ 3. Nc3 a6" \
        in shown and "Legal moves:" in shown


def test_scholars_mate_ends_the_game(move):
    said = play(move, "e4", "e5", "Bc4", "Nc6", "Qh5", "Nf6", "Qxf7")
    assert said.startswith("Legal: White plays Qxf7# (h5f7). Checkmate: White wins. "
                           "The game is over.")
    assert move("a7a6").startswith("The game is over (Checkmate: White wins).")


def test_the_game_is_replayed_from_the_conversation(move):
    play(move, "e4", "e5")
    assert move("new").startswith("New game. White to move.")
    assert move("e7e5").startswith("Illegal: it is White's move")  # the new game counts
    # a game already decided stays decided, whatever comes after
    fresh = Conversation()
    play(fresh, "f3", "e5", "g4", "Qh4")
    assert fresh("a2a3").startswith("The game is over (Checkmate: Black wins).")

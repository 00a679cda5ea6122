import json

from studio.components.tools._chess import COLOUR_NAMES, PIECE_NAMES, Board, IllegalMove
from studio.engine import ToolContext


def _list_moves(board: Board) -> str:
    legal = board.legal_moves()
    return ", ".join(sorted(board.san(m, legal) for m in legal))


def _position(board: Board) -> str:
    moves = board.movetext()
    return f"```text\n{board.diagram()}\n```" + (f"\nMoves so far: {moves}" if moves else "")


def _game(context: ToolContext) -> Board:
    """The game so far, replayed from the moves sent earlier in the conversation (so the
    board needs no memory of its own and survives a run resumed elsewhere)."""
    board = Board()
    for _, arguments in context.earlier_calls("make_move"):
        try:
            text = str(json.loads(arguments or "{}").get("move", "")).strip()
        except (ValueError, AttributeError):
            continue
        if text.lower() == "new":
            board = Board()
        elif not board.outcome():
            try:
                board.play(board.parse(text))
            except IllegalMove:
                pass  # refused then, refused now
    return board


def make_move(move: str, context: ToolContext) -> str:
    """Play a chess move on the shared board after checking that it is legal.

    The board knows every rule of chess: how each piece moves and captures, blocked paths,
    two-step pawn moves, en passant, castling on both sides (not out of, through or into
    check, and only while the king and that rook have not moved), promotion to a queen,
    rook, bishop or knight, check, checkmate, stalemate, threefold repetition, the
    fifty-move rule and draws for lack of material. An illegal move is refused with the
    reason and the list of legal moves. Send "new" to start a new game, "board" to see the
    position and the legal moves without moving.

    Args:
        move: The move, in coordinates ("e2e4", "e1g1" to castle, "e7e8n" to promote to a
            knight) or standard notation ("Nf3", "exd6", "O-O", "e8=Q"); or "new" or "board".
    """
    text = move.strip()
    if text.lower() == "new":
        return "New game. White to move.\n" + _position(Board())
    board = _game(context)
    side = COLOUR_NAMES[board.turn]
    over = board.outcome()
    if text.lower() in ("board", "show", "position", "legal", "moves"):
        state = over or f"{side} to move{' and in check' if board.in_check() else ''}"
        return (f"{state}.\n{_position(board)}"
                + ("" if over else f"\nLegal moves: {_list_moves(board)}"))
    if over:
        return f"The game is over ({over}). Send \"new\" to start a new game."
    try:
        chosen = board.parse(text)
    except IllegalMove as exc:
        check = " (in check)" if board.in_check() else ""
        return (f"Illegal: {exc}. {side} to move{check}. "
                f"Legal moves: {_list_moves(board)}")
    captured = board.squares[chosen.end]
    san = board.play(chosen)
    said = f"Legal: {side} plays {san} ({chosen.uci()})"
    if san.startswith("O-O"):
        said += ", castling " + ("queenside" if san == "O-O-O" else "kingside")
    elif captured is None and "x" in san:
        said += ", taking en passant"
    if chosen.promotion:
        said += f", promoting to a {PIECE_NAMES[chosen.promotion]}"
    over = board.outcome()
    nxt = COLOUR_NAMES[board.turn]
    if over:
        said += f". {over}. The game is over."
    elif board.in_check():
        said += f". Check! {nxt} to move."
    else:
        said += f". {nxt} to move."
    return said + "\n" + _position(board)

"""The rules of chess: every legal move, standard notation, and how a game ends.

Our own implementation (the project is Apache-2.0). Squares are numbered 0..63 from a1
(0) to h8 (63), rank by rank. Pieces are letters, upper case for White: ``PNBRQK``.
The move generator makes each pseudo-legal move and keeps it only if the mover's king is
not attacked afterwards, so pins, checks, castling through attacked squares and the rare
en passant that exposes the king are all handled by the same test. :meth:`Board.perft`
counts the leaf positions of the move tree, which is how move generators are checked
against published counts.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

START_FEN = "rnbqkbnr/pppppppp/8/8/8/8/PPPPPPPP/RNBQKBNR w KQkq - 0 1"
FILES = "abcdefgh"
PIECE_NAMES = {"p": "pawn", "n": "knight", "b": "bishop", "r": "rook", "q": "queen", "k": "king"}
COLOUR_NAMES = {"w": "White", "b": "Black"}


def square(name: str) -> int:
    """The index of a square given as ``e4``."""
    if len(name) != 2 or name[0] not in FILES or name[1] not in "12345678":
        raise ValueError(f"{name!r} is not a square like e4")
    return (int(name[1]) - 1) * 8 + FILES.index(name[0])


def square_name(index: int) -> str:
    return FILES[index % 8] + str(index // 8 + 1)


def _targets(steps: list[tuple[int, int]]) -> list[list[int]]:
    table = []
    for sq in range(64):
        f, r = sq % 8, sq // 8
        table.append([(r + dr) * 8 + f + df for df, dr in steps
                      if 0 <= f + df < 8 and 0 <= r + dr < 8])
    return table


def _rays(directions: list[tuple[int, int]]) -> list[list[list[int]]]:
    table = []
    for sq in range(64):
        rays = []
        for df, dr in directions:
            f, r, ray = sq % 8 + df, sq // 8 + dr, []
            while 0 <= f < 8 and 0 <= r < 8:
                ray.append(r * 8 + f)
                f, r = f + df, r + dr
            rays.append(ray)
        table.append(rays)
    return table


KNIGHT = _targets([(1, 2), (2, 1), (2, -1), (1, -2), (-1, -2), (-2, -1), (-2, 1), (-1, 2)])
KING = _targets([(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)])
ROOK_RAYS = _rays([(1, 0), (-1, 0), (0, 1), (0, -1)])
BISHOP_RAYS = _rays([(1, 1), (-1, 1), (1, -1), (-1, -1)])
# the squares a pawn of each colour attacks from each square
PAWN_ATTACKS = {"w": _targets([(-1, 1), (1, 1)]), "b": _targets([(-1, -1), (1, -1)])}
# castling: right -> (king from, king to, rook from, rook to, squares that must be empty)
CASTLES = {
    "K": (4, 6, 7, 5, (5, 6)),
    "Q": (4, 2, 0, 3, (1, 2, 3)),
    "k": (60, 62, 63, 61, (61, 62)),
    "q": (60, 58, 56, 59, (57, 58, 59)),
}
# a rook leaving or being taken on its corner loses that side's castling right
CORNER_RIGHTS = {0: "Q", 7: "K", 56: "q", 63: "k", 4: "KQ", 60: "kq"}


class Move(NamedTuple):
    start: int
    end: int
    promotion: str = ""  # "q", "r", "b" or "n" when a pawn promotes

    def uci(self) -> str:
        return square_name(self.start) + square_name(self.end) + self.promotion


class IllegalMove(ValueError):
    """A move that cannot be played; the message says why."""


def colour_of(piece: str) -> str:
    return "w" if piece.isupper() else "b"


class Board:
    """A chess position that can play moves, take them back and judge the game."""

    def __init__(self, fen: str = START_FEN) -> None:
        self.set_fen(fen)

    # -- positions --------------------------------------------------------------------------
    def set_fen(self, fen: str) -> None:
        fields = fen.split()
        if len(fields) < 4:
            raise ValueError("a FEN needs at least placement, side, castling and en passant")
        rows = fields[0].split("/")
        if len(rows) != 8:
            raise ValueError("a FEN placement needs eight ranks")
        squares: list[str | None] = [None] * 64
        for i, row in enumerate(rows):
            rank, f = 7 - i, 0
            for ch in row:
                if ch.isdigit():
                    f += int(ch)
                elif ch.lower() in PIECE_NAMES:
                    if f > 7:
                        raise ValueError(f"rank {rank + 1} of the FEN is too long")
                    squares[rank * 8 + f] = ch
                    f += 1
                else:
                    raise ValueError(f"unknown piece {ch!r} in the FEN")
            if f != 8:
                raise ValueError(f"rank {rank + 1} of the FEN does not have eight squares")
        if squares.count("K") != 1 or squares.count("k") != 1:
            raise ValueError("each side needs exactly one king")
        if fields[1] not in ("w", "b"):
            raise ValueError("the side to move must be w or b")
        self.squares = squares
        self.turn = fields[1]
        self.castling = "" if fields[2] == "-" else "".join(c for c in "KQkq" if c in fields[2])
        self.ep: int | None = None if fields[3] == "-" else square(fields[3])
        self.halfmove = int(fields[4]) if len(fields) > 4 else 0
        self.fullmove = int(fields[5]) if len(fields) > 5 else 1
        self.kings = {"w": squares.index("K"), "b": squares.index("k")}
        self._undo: list[tuple] = []
        self.played: list[Move] = []
        self.sans: list[str] = []
        self.seen: Counter[str] = Counter([self.key()])
        self.start_turn, self.start_fullmove = self.turn, self.fullmove

    def fen(self) -> str:
        rows = []
        for rank in range(7, -1, -1):
            row, empty = "", 0
            for f in range(8):
                piece = self.squares[rank * 8 + f]
                if piece is None:
                    empty += 1
                else:
                    row += (str(empty) if empty else "") + piece
                    empty = 0
            rows.append(row + (str(empty) if empty else ""))
        ep = square_name(self.ep) if self.ep is not None else "-"
        return (f"{'/'.join(rows)} {self.turn} {self.castling or '-'} {ep} "
                f"{self.halfmove} {self.fullmove}")

    def key(self) -> str:
        """What makes two positions the same for repetition: pieces, side, rights, en passant
        (only when a pawn could really take en passant)."""
        ep = ""
        if self.ep is not None:
            pawn = "P" if self.turn == "w" else "p"
            if any(self.squares[s] == pawn for s in PAWN_ATTACKS[_other(self.turn)][self.ep]):
                ep = square_name(self.ep)
        return f"{''.join(p or '.' for p in self.squares)}{self.turn}{self.castling}{ep}"

    # -- attacks ----------------------------------------------------------------------------
    def is_attacked(self, sq: int, by: str) -> bool:
        """Whether a piece of colour ``by`` attacks square ``sq``."""
        board = self.squares
        pawn, knight, king = ("P", "N", "K") if by == "w" else ("p", "n", "k")
        rook, bishop, queen = ("R", "B", "Q") if by == "w" else ("r", "b", "q")
        # a pawn of colour `by` attacks sq from where a pawn of the other colour on sq would
        if any(board[s] == pawn for s in PAWN_ATTACKS[_other(by)][sq]):
            return True
        if any(board[s] == knight for s in KNIGHT[sq]) or any(board[s] == king for s in KING[sq]):
            return True
        for rays, straight in ((ROOK_RAYS[sq], rook), (BISHOP_RAYS[sq], bishop)):
            for ray in rays:
                for s in ray:
                    piece = board[s]
                    if piece is not None:
                        if piece == straight or piece == queen:
                            return True
                        break
        return False

    def in_check(self, colour: str | None = None) -> bool:
        colour = colour or self.turn
        return self.is_attacked(self.kings[colour], _other(colour))

    # -- move generation --------------------------------------------------------------------
    def pseudo_moves(self) -> list[Move]:
        """Moves that follow the pieces' rules, ignoring whether they leave the king in check
        (castling is already checked for a king in check or crossing an attacked square)."""
        moves: list[Move] = []
        board, us = self.squares, self.turn
        them = _other(us)
        for sq, piece in enumerate(board):
            if piece is None or colour_of(piece) != us:
                continue
            kind = piece.lower()
            if kind == "p":
                self._pawn_moves(sq, moves)
            elif kind == "n" or kind == "k":
                for to in (KNIGHT if kind == "n" else KING)[sq]:
                    target = board[to]
                    if target is None or colour_of(target) == them:
                        moves.append(Move(sq, to))
            else:
                rays = ((ROOK_RAYS[sq] if kind in "rq" else [])
                        + (BISHOP_RAYS[sq] if kind in "bq" else []))
                for ray in rays:
                    for to in ray:
                        target = board[to]
                        if target is None:
                            moves.append(Move(sq, to))
                            continue
                        if colour_of(target) == them:
                            moves.append(Move(sq, to))
                        break
        for right in self.castling:
            if colour_of(right) == us and self._can_castle(right):
                king_from, king_to, _, _, _ = CASTLES[right]
                moves.append(Move(king_from, king_to))
        return moves

    def _pawn_moves(self, sq: int, moves: list[Move]) -> None:
        board, us = self.squares, self.turn
        step, home, last = (8, 1, 7) if us == "w" else (-8, 6, 0)
        rank = sq // 8

        def add(to: int) -> None:
            if to // 8 == last:
                moves.extend(Move(sq, to, p) for p in "qrbn")
            else:
                moves.append(Move(sq, to))

        one = sq + step
        if board[one] is None:
            add(one)
            if rank == home and board[one + step] is None:
                moves.append(Move(sq, one + step))
        for to in PAWN_ATTACKS[us][sq]:
            target = board[to]
            if (target is not None and colour_of(target) != us) or to == self.ep:
                add(to)

    def _can_castle(self, right: str) -> bool:
        king_from, king_to, rook_from, _, empty = CASTLES[right]
        us = colour_of(right)
        king, rook = ("K", "R") if us == "w" else ("k", "r")
        board = self.squares
        if board[king_from] != king or board[rook_from] != rook:
            return False
        if any(board[s] is not None for s in empty):
            return False
        them = _other(us)
        crossed = range(min(king_from, king_to), max(king_from, king_to) + 1)
        return not any(self.is_attacked(s, them) for s in crossed)

    def legal_moves(self) -> list[Move]:
        us = self.turn
        legal = []
        for move in self.pseudo_moves():
            self.push(move)
            if not self.is_attacked(self.kings[us], self.turn):
                legal.append(move)
            self.pop()
        return legal

    # -- playing ----------------------------------------------------------------------------
    def push(self, move: Move) -> None:
        """Play a move without checking it (use :meth:`play` for moves from people)."""
        board = self.squares
        piece = board[move.start]
        assert piece is not None, f"no piece on {square_name(move.start)}"
        captured_sq = move.end
        if piece in "Pp" and move.end == self.ep:
            captured_sq = move.end - 8 if piece == "P" else move.end + 8
        captured = board[captured_sq]
        self._undo.append((move, piece, captured, captured_sq, self.castling, self.ep,
                           self.halfmove, self.fullmove))
        board[captured_sq] = None
        board[move.start] = None
        board[move.end] = (move.promotion.upper() if piece == "P" else move.promotion) \
            if move.promotion else piece
        if piece in "Kk":
            self.kings[colour_of(piece)] = move.end
            if abs(move.end - move.start) == 2:  # castling: the rook jumps over
                right = next(r for r, c in CASTLES.items() if c[:2] == (move.start, move.end))
                _, _, rook_from, rook_to, _ = CASTLES[right]
                board[rook_to], board[rook_from] = board[rook_from], None
        lost = CORNER_RIGHTS.get(move.start, "") + CORNER_RIGHTS.get(move.end, "")
        if lost and self.castling:
            self.castling = "".join(c for c in self.castling if c not in lost)
        self.ep = None
        if piece in "Pp" and abs(move.end - move.start) == 16:
            self.ep = (move.start + move.end) // 2
        self.halfmove = 0 if piece in "Pp" or captured else self.halfmove + 1
        if self.turn == "b":
            self.fullmove += 1
        self.turn = _other(self.turn)

    def pop(self) -> Move:
        """Take back the last move played with :meth:`push`."""
        (move, piece, captured, captured_sq, self.castling, self.ep, self.halfmove,
         self.fullmove) = self._undo.pop()
        board = self.squares
        board[move.start] = piece
        board[move.end] = None
        board[captured_sq] = captured
        if piece in "Kk":
            self.kings[colour_of(piece)] = move.start
            if abs(move.end - move.start) == 2:
                right = next(r for r, c in CASTLES.items() if c[:2] == (move.start, move.end))
                _, _, rook_from, rook_to, _ = CASTLES[right]
                board[rook_from], board[rook_to] = board[rook_to], None
        self.turn = _other(self.turn)
        return move

    def play(self, move: Move) -> str:
        """Play a legal move as part of the game; returns its standard notation (SAN)."""
        if move not in self.legal_moves():
            raise IllegalMove(f"{move.uci()} is not legal here")
        san = self.san(move)
        self.push(move)
        self.played.append(move)
        self.sans.append(san)
        self.seen[self.key()] += 1
        return san

    def perft(self, depth: int) -> int:
        """The number of move sequences of length ``depth`` from this position."""
        moves = self.legal_moves()
        if depth <= 1:
            return len(moves) if depth == 1 else 1
        total = 0
        for move in moves:
            self.push(move)
            total += self.perft(depth - 1)
            self.pop()
        return total

    # -- notation ---------------------------------------------------------------------------
    def san(self, move: Move, legal: list[Move] | None = None) -> str:
        """Standard algebraic notation of a legal move: ``Nf3``, ``exd6``, ``O-O``, ``e8=N+``."""
        piece = self.squares[move.start] or ""
        kind = piece.lower()
        if kind == "k" and abs(move.end - move.start) == 2:
            text = "O-O" if move.end > move.start else "O-O-O"
        else:
            capture = (self.squares[move.end] is not None
                       or (kind == "p" and move.end == self.ep))
            dest = square_name(move.end)
            if kind == "p":
                text = (FILES[move.start % 8] + "x" if capture else "") + dest
                if move.promotion:
                    text += "=" + move.promotion.upper()
            else:
                legal = self.legal_moves() if legal is None else legal
                rivals = [m.start for m in legal if m.end == move.end and m.start != move.start
                          and self.squares[m.start] == piece]
                where = ""
                if rivals:
                    if all(r % 8 != move.start % 8 for r in rivals):
                        where = FILES[move.start % 8]
                    elif all(r // 8 != move.start // 8 for r in rivals):
                        where = str(move.start // 8 + 1)
                    else:
                        where = square_name(move.start)
                text = kind.upper() + where + ("x" if capture else "") + dest
        self.push(move)
        if self.in_check():
            text += "#" if not self.legal_moves() else "+"
        self.pop()
        return text

    def parse(self, text: str) -> Move:
        """The legal move meant by ``text``: coordinates (``e2e4``, ``e7e8n``, ``e1g1``) or
        standard notation (``Nf3``, ``exd6``, ``O-O``, ``b8=N``). Raises :class:`IllegalMove`
        with the reason when there is no such legal move."""
        raw = text.strip()
        cleaned = re.sub(r"[+#!?]+$", "", raw).replace("0-0-0", "O-O-O").replace("0-0", "O-O")
        legal = self.legal_moves()
        coords = re.fullmatch(r"([a-h][1-8])\s*[-x:]?\s*([a-h][1-8])\s*=?\s*([qrbnQRBN]?)", cleaned)
        if coords:
            start, end = square(coords.group(1)), square(coords.group(2))
            return self._coordinate_move(start, end, coords.group(3).lower(), legal)
        if cleaned in ("O-O", "O-O-O"):
            king = self.kings[self.turn]
            return self._coordinate_move(king, king + (2 if cleaned == "O-O" else -2), "", legal)
        wanted = _plain_san(cleaned)
        for move in legal:
            if _plain_san(self.san(move, legal)) == wanted:
                return move
        san = re.fullmatch(r"([KQRBN]?)([a-h]?)([1-8]?)x?([a-h][1-8])(=?[QRBN])?", cleaned)
        if san:
            piece = san.group(1) or "P"
            piece = piece if self.turn == "w" else piece.lower()
            end = square(san.group(4))
            tried = [m for m in self.pseudo_moves() if m.end == end
                     and self.squares[m.start] == piece
                     and square_name(m.start)[0].startswith(san.group(2))
                     and square_name(m.start)[1].startswith(san.group(3))]
            if len({m.start for m in tried}) == 1:  # one piece could go there, but not legally
                raise IllegalMove(self._why_not(tried[0].start, end, piece))
            raise IllegalMove(f"{raw} is not a legal move for {COLOUR_NAMES[self.turn]} here")
        raise IllegalMove(f"{raw!r} is not a move: write it like e2e4, e7e8q, Nf3 or O-O")

    def _coordinate_move(self, start: int, end: int, promotion: str, legal: list[Move]) -> Move:
        piece = self.squares[start]
        who = COLOUR_NAMES[self.turn]
        if piece is None:
            raise IllegalMove(f"there is no piece on {square_name(start)}")
        if colour_of(piece) != self.turn:
            raise IllegalMove(f"it is {who}'s move and {square_name(start)} holds a "
                              f"{COLOUR_NAMES[colour_of(piece)]} {PIECE_NAMES[piece.lower()]}")
        target = self.squares[end]
        if piece in "Kk" and target is not None and target in ("R" if piece == "K" else "r"):
            # "king takes own rook" is how some programs write castling
            castle = next((r for r, c in CASTLES.items() if c[0] == start and c[2] == end), None)
            if castle is not None:
                end = CASTLES[castle][1]
        candidates = [m for m in legal if m.start == start and m.end == end]
        if candidates and candidates[0].promotion:
            match = [m for m in candidates if m.promotion == promotion]
            if not match:
                uci = square_name(start) + square_name(end)
                raise IllegalMove(f"{uci} promotes the pawn: say which piece it becomes, "
                                  f"e.g. {uci}q (queen), {uci}r, {uci}b or {uci}n (knight)")
            return match[0]
        if candidates:
            if promotion:
                raise IllegalMove(f"only a pawn reaching the last rank promotes; "
                                  f"play {square_name(start)}{square_name(end)}")
            return candidates[0]
        raise IllegalMove(self._why_not(start, end, piece))

    def _why_not(self, start: int, end: int, piece: str) -> str:
        name = f"{COLOUR_NAMES[colour_of(piece)].lower()} {PIECE_NAMES[piece.lower()]}"
        move_text = f"{square_name(start)}-{square_name(end)}"
        if piece in "Kk" and abs(end - start) == 2 and start in (4, 60):
            right = next((r for r, c in CASTLES.items() if c[:2] == (start, end)), None)
            if right is not None:
                side = "king" if right.lower() == "k" else "queen"
                if right not in self.castling:
                    return (f"{COLOUR_NAMES[self.turn]} can no longer castle on the {side}side "
                            "(the king or that rook has moved)")
                if any(self.squares[s] is not None for s in CASTLES[right][4]):
                    return f"castling {side}side needs the squares between king and rook empty"
                if self.in_check():
                    return "you cannot castle out of check"
                return "the king may not cross or land on an attacked square when castling"
        if Move(start, end) in self.pseudo_moves() or Move(start, end, "q") in self.pseudo_moves():
            if self.in_check():
                return f"{move_text} does not get the {COLOUR_NAMES[self.turn]} king out of check"
            return f"{move_text} would leave the {COLOUR_NAMES[self.turn]} king in check"
        return f"a {name} cannot move {move_text}"

    # -- the end of the game ----------------------------------------------------------------
    def outcome(self) -> str | None:
        """How the game ended (checkmate, stalemate, draws), or None while it goes on."""
        if not self.legal_moves():
            if self.in_check():
                return f"Checkmate: {COLOUR_NAMES[_other(self.turn)]} wins"
            return "Stalemate: a draw"
        if self._insufficient_material():
            return "Draw: neither side has enough material to checkmate"
        if self.seen[self.key()] >= 3:
            return "Draw by threefold repetition"
        if self.halfmove >= 100:
            return "Draw by the fifty-move rule"
        return None

    def _insufficient_material(self) -> bool:
        others = [(sq, p) for sq, p in enumerate(self.squares) if p is not None and p not in "Kk"]
        if not others:
            return True
        if len(others) == 1 and others[0][1] in "NnBb":
            return True
        if all(p in "Bb" for _, p in others):  # bishops all on squares of one colour
            return len({(sq % 8 + sq // 8) % 2 for sq, _ in others}) == 1
        return False

    # -- display ----------------------------------------------------------------------------
    def diagram(self) -> str:
        """The board as text, White at the bottom; upper case is White, '.' an empty square."""
        lines = ["  +-----------------+"]
        for rank in range(7, -1, -1):
            cells = " ".join(self.squares[rank * 8 + f] or "." for f in range(8))
            lines.append(f"{rank + 1} | {cells} |")
        lines += ["  +-----------------+", "    a b c d e f g h"]
        return "\n".join(lines)

    def movetext(self) -> str:
        """The moves played so far, numbered: ``1. e4 e5 2. Nf3``."""
        number, black, parts = self.start_fullmove, self.start_turn == "b", []
        for i, san in enumerate(self.sans):
            if not black:
                parts.append(f"{number}. {san}")
            else:
                parts.append(f"{number}... {san}" if i == 0 else san)
                number += 1
            black = not black
        return " ".join(parts)


def _other(colour: str) -> str:
    return "b" if colour == "w" else "w"


def _plain_san(text: str) -> str:
    return re.sub(r"[+#x=:!?\s]", "", text)

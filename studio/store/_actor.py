"""Who is acting: every store and run-manager call that reads or changes people's data
takes an :class:`Actor`, and the ownership checks live in the store and the run manager.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, true

ADMIN = "admin"
MEMBER = "member"
ROLES = (ADMIN, MEMBER)


@dataclass(frozen=True)
class Actor:
    """The person a call is made for.

    ``id`` is the account's id; ``None`` is the one user of personal mode (no sign-in),
    who owns the rows whose ``owner_id`` is NULL and is an administrator.
    """

    id: int | None
    name: str
    role: str = MEMBER

    @classmethod
    def local(cls) -> Actor:
        """The personal-mode user: no account, an administrator (``roundtable ui`` on
        127.0.0.1, the CLI on this machine)."""
        return cls(None, "you", ADMIN)

    @classmethod
    def system(cls) -> Actor:
        """The run machinery itself (run manager housekeeping, workers): sees every run."""
        return cls(None, "system", ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_local(self) -> bool:
        return self.id is None

    def owns(self, owner_id: int | None) -> bool:
        """Whether this actor may see and change an item owned by ``owner_id``:
        its owner, or any administrator."""
        return self.is_admin or owner_id == self.id

    def is_owner(self, owner_id: int | None) -> bool:
        """Whether the item is this actor's own (administrators included: not just may see)."""
        return owner_id == self.id


def own(column: Any, actor: Actor) -> ColumnElement[bool]:
    """SQL: the row is the actor's own (``owner_id IS NULL`` for the personal-mode user)."""
    return column.is_(None) if actor.id is None else column == actor.id


def visible(column: Any, actor: Actor, shared: Any = None) -> ColumnElement[bool]:
    """SQL: the actor may see the row (administrators see every row; others their own,
    plus the shared ones when ``shared`` is the row's shared flag)."""
    if actor.is_admin:
        return true()
    mine = own(column, actor)
    return mine if shared is None else or_(mine, shared.is_(True))

"""Accounts (shared mode): administrators and members, sign-in with rate limiting,
sessions kept in the database (so every studio process shares them and they survive a
reload or a restart), a workshop join code, single sign-on accounts and budgets.

Passwords are hashed with Argon2id (argon2-cffi); a session cookie's token is stored only
as its SHA-256. Nothing here returns a hash.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, delete, func
from sqlmodel import Session, col, select

from ._actor import ADMIN, MEMBER, ROLES, Actor
from ._config import ConfigMixin
from ._errors import AlreadyExists, Forbidden, NotFound, StoreError
from ._records import Account
from ._tables import AccountRow, AccountSessionRow, SignInAttemptRow, now

SESSION_DAYS = 14
COOKIE_TICKET_SECONDS = 120
# the kinds of account_session rows: a session signs in; a ticket is traded for a cookie's
# session; an ended one is a session whose access an administrator ended (it signs nobody
# in, but lets a reload say why the sign-in is back)
SESSION, TICKET, ENDED = "session", "ticket", "ended"
MAX_FAILURES = 5  # wrong passwords per name within the window, then wait
FAILURE_WINDOW = 15 * 60.0
MIN_PASSWORD = 8
JOIN_CODE = "join_code"  # setting: the workshop's join code (None: joining is closed)
DEFAULT_BUDGET = "default_budget"  # setting: every member's budget unless set per person
BUDGET_KEYS = ("tokens_per_day", "cost_per_day", "concurrent_runs")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")


class SignInError(StoreError):
    """Sign-in refused: the message is safe to show (it never says which part was wrong)."""


class TooManyAttempts(SignInError):
    def __init__(self, wait_seconds: float) -> None:
        minutes = max(1, int(wait_seconds // 60) + 1)
        super().__init__(f"too many wrong passwords for this name: try again in {minutes} "
                         f"minute{'s' if minutes != 1 else ''}")
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class Budget:
    """Limits of one member; None means no limit."""

    tokens_per_day: int | None = None
    cost_per_day: float | None = None
    concurrent_runs: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Budget:
        data = data if isinstance(data, dict) else {}
        def num(key: str, kind: type) -> Any:
            value = data.get(key)
            return None if value in (None, "") else kind(value)
        return cls(num("tokens_per_day", int), num("cost_per_day", float),
                   num("concurrent_runs", int))

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in BUDGET_KEYS if getattr(self, k) is not None}


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


def normal_name(name: str) -> str:
    """A sign-in name as stored: trimmed, lower case; letters, digits and . _ @ - only."""
    value = (name or "").strip().lower()
    if not _NAME.match(value):
        raise StoreError("a user name is 2-64 characters: letters, digits, '.', '_', '@' or "
                         "'-', starting with a letter or digit")
    return value


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise StoreError(f"a password needs at least {MIN_PASSWORD} characters")


def _account(row: AccountRow) -> Account:
    assert row.id is not None
    return Account(id=row.id, name=row.name, display_name=row.display_name, role=row.role,
                   created_at=row.created_at, disabled_at=row.disabled_at,
                   last_seen_at=row.last_seen_at, budget=dict(row.budget or {}),
                   sso=row.oidc_subject is not None)


def actor_of(account: Account) -> Actor:
    return Actor(account.id, account.label, account.role)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _wait(failures: list[float], stamp: float) -> float:
    """Seconds a name must wait before its next try, given its recent wrong passwords
    (oldest first): 0 while fewer than MAX_FAILURES, else until the one that tipped it over
    the limit ages out of the window."""
    if len(failures) < MAX_FAILURES:
        return 0.0
    return max(0.0, failures[-MAX_FAILURES] + FAILURE_WINDOW - stamp)


class AccountsMixin(ConfigMixin):  # the members' default budget is a setting
    # -- accounts --------------------------------------------------------------------------
    def has_admin(self) -> bool:
        """Whether an administrator account exists (shared mode refuses to start without)."""
        with self._read() as session:
            return session.exec(select(AccountRow.id).where(
                AccountRow.role == ADMIN, col(AccountRow.disabled_at).is_(None))).first() is not None

    def create_account(self, actor: Actor, name: str, password: str | None, *,
                       role: str = MEMBER, display_name: str = "") -> Account:
        """A new account (administrators only; the first one comes from the command line,
        where the local user acts)."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can add people")
        return self._new_account(name, password, role=role, display_name=display_name)

    def _new_account(self, name: str, password: str | None, *, role: str,
                     display_name: str = "", oidc: tuple[str, str] | None = None) -> Account:
        name = normal_name(name)
        if role not in ROLES:
            raise StoreError(f"role must be one of {', '.join(ROLES)}")
        if password is not None:
            _check_password(password)
        hashed = _hasher().hash(password) if password is not None else None
        with self._write() as session:
            if session.exec(select(AccountRow.id).where(AccountRow.name == name)).first():
                raise AlreadyExists("user", name)
            row = AccountRow(name=name, display_name=display_name.strip() or name, role=role,
                             password_hash=hashed, budget={},
                             oidc_issuer=oidc[0] if oidc else None,
                             oidc_subject=oidc[1] if oidc else None)
            session.add(row)
            session.flush()
            return _account(row)

    def _account_row(self, session: Session, name_or_id: str | int) -> AccountRow:
        if isinstance(name_or_id, int):
            row = session.get(AccountRow, name_or_id)
        else:
            row = session.exec(select(AccountRow).where(
                AccountRow.name == str(name_or_id).strip().lower())).first()
        if row is None:
            raise NotFound("user", str(name_or_id))
        return row

    def actor_by_id(self, owner_id: int | None) -> Actor:
        """The actor a stored ``owner_id`` stands for (system call: a worker running
        someone's run acts for them). None is the personal-mode user."""
        if owner_id is None:
            return Actor.local()
        with self._read() as session:
            row = session.get(AccountRow, owner_id)
            if row is None:
                raise NotFound("user", str(owner_id))
            return Actor(row.id, row.display_name or row.name, row.role)

    def get_account(self, actor: Actor, name_or_id: str | int) -> Account:
        """An account: one's own, or anyone's for administrators."""
        with self._read() as session:
            row = self._account_row(session, name_or_id)
            if not actor.is_admin and row.id != actor.id:
                raise NotFound("user", str(name_or_id))
            return _account(row)

    def list_accounts(self, actor: Actor) -> list[Account]:
        if not actor.is_admin:
            raise Forbidden("only an administrator can list the workshop's people")
        with self._read() as session:
            rows = session.exec(select(AccountRow).order_by(col(AccountRow.name)))
            return [_account(r) for r in rows]

    def set_password(self, actor: Actor, name_or_id: str | int, password: str) -> None:
        """Change a password (one's own, or anyone's for administrators); every session
        of that account ends."""
        _check_password(password)
        hashed = _hasher().hash(password)
        with self._write() as session:
            row = self._account_row(session, name_or_id)
            if not actor.is_admin and row.id != actor.id:
                raise Forbidden("only an administrator can change another person's password")
            row.password_hash = hashed
            session.add(row)
            session.execute(delete(AccountSessionRow).where(
                col(AccountSessionRow.account_id) == row.id))

    def set_access(self, actor: Actor, name_or_id: str | int, active: bool) -> Account:
        """End (or give back) a person's access: their sessions end at once; what they made
        stays. Administrators only; the last administrator cannot lock themselves out."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can end someone's access")
        with self._write() as session:
            row = self._account_row(session, name_or_id)
            if not active and row.role == ADMIN:
                admins = session.exec(select(func.count()).select_from(AccountRow).where(
                    AccountRow.role == ADMIN, col(AccountRow.disabled_at).is_(None))).one()
                if admins <= 1:
                    raise StoreError("this is the last administrator: add another first")
            row.disabled_at = None if active else now()
            session.add(row)
            theirs = col(AccountSessionRow.account_id) == row.id
            if active:  # what stayed of the ended sessions must not say "ended" any more
                session.execute(delete(AccountSessionRow).where(
                    theirs, col(AccountSessionRow.kind) == ENDED))
            else:  # sessions stop signing in, but say why (see ended_by_administrator)
                session.execute(delete(AccountSessionRow).where(
                    theirs, col(AccountSessionRow.kind) == TICKET))
                session.execute(sa.update(AccountSessionRow).where(
                    theirs, col(AccountSessionRow.kind) == SESSION).values(kind=ENDED))
            session.flush()
            return _account(row)

    def set_budget(self, actor: Actor, name_or_id: str | int | None, budget: Budget) -> None:
        """A person's budget (``name_or_id``) or every member's default (None)."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can set budgets")
        if name_or_id is None:
            self.set_setting(actor, DEFAULT_BUDGET, budget.to_dict() or None)
            return
        with self._write() as session:
            row = self._account_row(session, name_or_id)
            row.budget = budget.to_dict()
            session.add(row)

    def budget_for(self, actor: Actor) -> Budget:
        """The limits that apply to the actor (administrators and the local user: none)."""
        if actor.is_admin or actor.id is None:
            return Budget()
        with self._read() as session:
            row = session.get(AccountRow, actor.id)
            own = dict(row.budget or {}) if row is not None else {}
        default = self.get_setting(DEFAULT_BUDGET, {}) or {}
        return Budget.from_dict({**default, **{k: v for k, v in own.items() if v is not None}})

    # -- signing in ------------------------------------------------------------------------
    def sign_in(self, name: str, password: str) -> Account:
        """The account for ``name``/``password``. Wrong passwords are counted per name: after
        MAX_FAILURES within FAILURE_WINDOW, :class:`TooManyAttempts` until the oldest ages
        out. The message never says whether the name exists."""
        from argon2.exceptions import InvalidHashError, VerifyMismatchError

        key = (name or "").strip().lower()[:64]
        stamp = now()
        with self._read() as session:
            failures = list(session.exec(
                select(SignInAttemptRow.at).where(
                    SignInAttemptRow.name == key, col(SignInAttemptRow.ok).is_(False),
                    col(SignInAttemptRow.at) > stamp - FAILURE_WINDOW)
                .order_by(col(SignInAttemptRow.at))))
            wait = _wait(failures, stamp)
            if wait > 0:
                raise TooManyAttempts(wait)
            row = session.exec(select(AccountRow).where(AccountRow.name == key)).first()
        ok = False
        if row is not None and row.password_hash:
            try:
                ok = _hasher().verify(row.password_hash, password or "")
            except (VerifyMismatchError, InvalidHashError):
                ok = False
        else:
            _hasher().hash("spend the same time either way")
        with self._write() as session:
            session.add(SignInAttemptRow(name=key, ok=ok, at=stamp))
            session.execute(delete(SignInAttemptRow).where(
                col(SignInAttemptRow.at) < stamp - 24 * 3600))
        if not ok or row is None:
            raise SignInError("wrong user name or password")
        if row.disabled_at is not None:
            raise SignInError("your access to this workshop has ended: ask the administrator")
        return _account(row)

    def sign_in_locks(self, actor: Actor) -> dict[str, float]:
        """The accounts that must wait before signing in again (too many wrong passwords),
        by name, with the seconds left. Administrators only."""
        if not actor.is_admin:
            raise Forbidden("only an administrator can see who must wait to sign in")
        stamp = now()
        with self._read() as session:
            rows = session.exec(
                select(SignInAttemptRow.name, SignInAttemptRow.at)
                .join(AccountRow, col(AccountRow.name) == col(SignInAttemptRow.name))
                .where(col(SignInAttemptRow.ok).is_(False),
                       col(SignInAttemptRow.at) > stamp - FAILURE_WINDOW)
                .order_by(col(SignInAttemptRow.at)))
            failures: dict[str, list[float]] = {}
            for name, at in rows:
                failures.setdefault(name, []).append(at)
        waits = {name: _wait(times, stamp) for name, times in failures.items()}
        return {name: wait for name, wait in sorted(waits.items()) if wait > 0}

    def let_try_again(self, actor: Actor, name_or_id: str | int) -> bool:
        """Forget a person's recent wrong passwords, so that they may sign in again at once
        (a teacher in front of a class). Administrators only; returns whether they had to
        wait. (There is no record of administrators' actions to add this to.)"""
        if not actor.is_admin:
            raise Forbidden("only an administrator can let someone try again")
        stamp = now()
        with self._write() as session:
            name = self._account_row(session, name_or_id).name
            theirs = ((col(SignInAttemptRow.name) == name)
                      & col(SignInAttemptRow.ok).is_(False))
            recent = list(session.exec(select(SignInAttemptRow.at).where(
                theirs, col(SignInAttemptRow.at) > stamp - FAILURE_WINDOW)
                .order_by(col(SignInAttemptRow.at))))
            session.execute(delete(SignInAttemptRow).where(theirs))
        return _wait(recent, stamp) > 0

    def join_workshop(self, code: str, name: str, password: str,
                      display_name: str = "") -> Account:
        """Create one's own member account with the workshop's join code."""
        expected = self.get_setting(JOIN_CODE)
        if not expected:
            raise SignInError("joining is closed: ask the administrator for an account")
        stamp = now()
        with self._read() as session:
            recent = session.exec(select(func.count()).select_from(SignInAttemptRow).where(
                SignInAttemptRow.name == "join code", col(SignInAttemptRow.ok).is_(False),
                col(SignInAttemptRow.at) > stamp - FAILURE_WINDOW)).one()
        if recent >= 10 * MAX_FAILURES:
            raise TooManyAttempts(FAILURE_WINDOW)
        if not secrets.compare_digest(str(code or "").strip().upper(), str(expected).upper()):
            with self._write() as session:
                session.add(SignInAttemptRow(name="join code", ok=False, at=stamp))
            raise SignInError("that join code is not this workshop's: check the code on screen")
        return self._new_account(name, password, role=MEMBER, display_name=display_name)

    def new_join_code(self, actor: Actor) -> str:
        """Make (or replace) the workshop's join code: 8 letters and digits, easy to read."""
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        code = "".join(secrets.choice(alphabet) for _ in range(8))
        self.set_setting(actor, JOIN_CODE, code)
        return code

    def oidc_account(self, issuer: str, subject: str, *, email: str = "",
                     display_name: str = "") -> Account:
        """The member account for a single sign-on identity, created on first sign-in."""
        if not issuer or not subject:
            raise SignInError("the sign-on provider did not say who you are")
        with self._read() as session:
            row = session.exec(select(AccountRow).where(
                AccountRow.oidc_issuer == issuer, AccountRow.oidc_subject == subject)).first()
        if row is None:
            base = re.sub(r"[^a-z0-9._@-]+", "-", (email or display_name or subject).lower())
            base = base.strip("-._@")[:56] or "member"
            name, n = base, 2
            while True:
                try:
                    return self._new_account(name, None, role=MEMBER, display_name=display_name,
                                             oidc=(issuer, subject))
                except AlreadyExists:
                    name, n = f"{base}-{n}", n + 1
        if row.disabled_at is not None:
            raise SignInError("your access to this workshop has ended: ask the administrator")
        return _account(row)

    # -- sessions ----------------------------------------------------------------------------
    # One sign-in is a family of rows: the page's session, the single-use tickets it hands
    # the browser, and the session each ticket is traded for (the cookie's). Signing out
    # of any of them ends the whole family, in every process.
    def start_session(self, account: Account, days: float = SESSION_DAYS) -> str:
        """A new sign-in session; returns the token to keep in the browser (never stored)."""
        token = secrets.token_urlsafe(32)
        stamp = now()
        with self._write() as session:
            session.add(AccountSessionRow(token_hash=_digest(token), account_id=account.id,
                                          family=secrets.token_hex(16), kind=SESSION,
                                          created_at=stamp, expires_at=stamp + days * 86400,
                                          last_seen_at=stamp))
            session.execute(delete(AccountSessionRow).where(
                col(AccountSessionRow.expires_at) < stamp))
        return token

    def session_actor(self, token: str | None) -> Actor | None:
        """Who a session token signs in, or None (unknown, expired, access ended, a ticket).
        Called on every page run in shared mode: one indexed lookup, no ORM objects."""
        if not token:
            return None
        account, record = AccountRow.__table__, AccountSessionRow.__table__  # type: ignore[attr-defined]
        query = (sa.select(account.c.id, account.c.name, account.c.display_name,
                           account.c.role)
                 .join(record, record.c.account_id == account.c.id)
                 .where(record.c.token_hash == _digest(token), record.c.kind == SESSION,
                        record.c.expires_at >= now(), account.c.disabled_at.is_(None)))
        try:
            with self._engine.connect() as conn:
                row = conn.execute(query).first()
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"database error while reading: {exc.orig}") from exc
        if row is None:
            return None
        return Actor(row.id, row.display_name or row.name, row.role)

    def ended_by_administrator(self, token: str | None) -> bool:
        """Whether ``token`` was a session that stopped because an administrator ended that
        person's access (still ended): a page reloaded with the old cookie says so, rather
        than only show the sign-in. It was that person's token, so it tells nobody else."""
        if not token:
            return False
        account, record = AccountRow.__table__, AccountSessionRow.__table__  # type: ignore[attr-defined]
        query = (sa.select(record.c.account_id)
                 .join(account, record.c.account_id == account.c.id)
                 .where(record.c.token_hash == _digest(token), record.c.kind == ENDED,
                        record.c.expires_at >= now(), account.c.disabled_at.is_not(None)))
        with self._read() as session:
            return session.execute(query).first() is not None

    def cookie_ticket(self, token: str, seconds: float = COOKIE_TICKET_SECONDS) -> str:
        """A single-use ticket, good for two minutes, that the browser trades (through the
        web server, see :meth:`redeem_cookie_ticket`) for a session of the same sign-in kept
        in a cookie the page cannot read. The session token itself never reaches the page.
        Raises :class:`SignInError` when ``token`` signs nobody in."""
        if self.session_actor(token) is None:
            raise SignInError("that session has ended: sign in again")
        ticket = secrets.token_urlsafe(32)
        stamp = now()
        with self._write() as session:
            row = session.get(AccountSessionRow, _digest(token))
            if row is None:
                raise SignInError("that session has ended: sign in again")
            if not row.family:  # a session from before families: it starts one now
                row.family = secrets.token_hex(16)
                session.add(row)
            session.add(AccountSessionRow(token_hash=_digest(ticket), account_id=row.account_id,
                                          family=row.family, kind=TICKET, created_at=stamp,
                                          expires_at=stamp + seconds, last_seen_at=stamp))
        return ticket

    def redeem_cookie_ticket(self, ticket: str, days: float = SESSION_DAYS) -> str | None:
        """The token of a new session of the sign-in a :meth:`cookie_ticket` was made for,
        or None when the ticket is unknown, used already, expired, or their access has
        ended. A ticket works once, in any process of the studio."""
        if not ticket:
            return None
        stamp = now()
        mine = ((col(AccountSessionRow.token_hash) == _digest(ticket))
                & (col(AccountSessionRow.kind) == TICKET))
        with self._write() as session:
            row = session.exec(select(AccountSessionRow.account_id, AccountSessionRow.family,
                                      AccountSessionRow.expires_at).where(mine)).first()
            # used, whatever comes next; of two redeeming it at once, one deletes it
            gone = cast("CursorResult[Any]", session.execute(delete(AccountSessionRow).where(mine)))
            if row is None or gone.rowcount != 1:
                return None
            account_id, family, expires_at = row
            account = session.get(AccountRow, account_id)
            if expires_at < stamp or account is None or account.disabled_at is not None:
                return None
            token = secrets.token_urlsafe(32)
            session.add(AccountSessionRow(token_hash=_digest(token), account_id=account_id,
                                          family=family, kind=SESSION, created_at=stamp,
                                          expires_at=stamp + days * 86400, last_seen_at=stamp))
        return token

    def end_session(self, token: str | None) -> None:
        """Sign out: the token, and every session and ticket of the same sign-in, stop
        working in every process."""
        if not token:
            return
        with self._write() as session:
            row = session.get(AccountSessionRow, _digest(token))
            if row is None:
                return
            same = col(AccountSessionRow.token_hash) == row.token_hash
            if row.family:
                same = same | (col(AccountSessionRow.family) == row.family)
            session.execute(delete(AccountSessionRow).where(same))

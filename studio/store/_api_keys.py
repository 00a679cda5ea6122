"""API keys for `roundtable serve`: made, listed and revoked by administrators; checked by
the service on every call.

The key itself is shown once, when it is made; only its SHA-256 is stored (a key is 32
random bytes, so a fast hash cannot be reversed by guessing). A key acts for the
administrator who made it: the runs it starts are theirs.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlmodel import col, select

from ._accounts import _account, actor_of
from ._actor import ADMIN, Actor
from ._base import StoreBase
from ._errors import Forbidden, NotFound, StoreError
from ._records import ApiKey
from ._tables import AccountRow, ApiKeyRow

KEY_PREFIX = "rt_"
MAX_RATE_LIMIT = 100_000  # requests a minute


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _api_key(row: ApiKeyRow) -> ApiKey:
    assert row.id is not None
    return ApiKey(id=row.id, name=row.name, prefix=row.prefix, owner_id=row.owner_id,
                  rate_limit=row.rate_limit, created_at=row.created_at,
                  last_used_at=row.last_used_at, revoked_at=row.revoked_at)


def _admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise Forbidden(f"only an administrator can {what}")


class ApiKeysMixin(StoreBase):
    def create_api_key(self, actor: Actor, name: str, *,
                       rate_limit: int | None = None) -> tuple[ApiKey, str]:
        """A new key for the service's callers (administrators only): the record and the
        key itself, which is never available again."""
        _admin(actor, "create API keys")
        name = " ".join(str(name).split())
        if not name:
            raise StoreError("give the key a name that says who will use it (e.g. 'demo page')")
        if len(name) > 80:
            raise StoreError("a key's name has at most 80 characters")
        if rate_limit is not None and not 1 <= int(rate_limit) <= MAX_RATE_LIMIT:
            raise StoreError(f"a rate limit is 1 to {MAX_RATE_LIMIT} requests a minute")
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._write() as session:
            row = ApiKeyRow(owner_id=actor.id, name=name, prefix=key[:10], key_hash=_digest(key),
                            rate_limit=None if rate_limit is None else int(rate_limit))
            session.add(row)
            session.flush()
            return _api_key(row), key

    def list_api_keys(self, actor: Actor, *, include_revoked: bool = True) -> list[ApiKey]:
        """Every key, newest first (administrators only)."""
        _admin(actor, "see the API keys")
        with self._read() as session:
            query = select(ApiKeyRow).order_by(col(ApiKeyRow.created_at).desc(),
                                               col(ApiKeyRow.id).desc())
            if not include_revoked:
                query = query.where(col(ApiKeyRow.revoked_at).is_(None))
            return [_api_key(r) for r in session.exec(query)]

    def revoke_api_key(self, actor: Actor, key_id: int) -> ApiKey:
        """Stop a key from working, at once (administrators only); its runs stay."""
        _admin(actor, "revoke API keys")
        with self._write() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound("API key", str(key_id))
            if row.revoked_at is None:
                row.revoked_at = time.time()
                session.add(row)
            return _api_key(row)

    # -- the service's calls (system: no actor) --------------------------------------------
    def api_key_for(self, key: str) -> ApiKey | None:
        """The key's record if it is valid (known, not revoked, its owner still active);
        None otherwise."""
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        with self._read() as session:
            row = session.exec(select(ApiKeyRow).where(
                ApiKeyRow.key_hash == _digest(key))).first()
            if row is None or row.revoked_at is not None:
                return None
            if row.owner_id is not None:
                owner = session.get(AccountRow, row.owner_id)
                if owner is None or owner.disabled_at is not None or owner.role != ADMIN:
                    return None  # a key never outlives its administrator's access
            return _api_key(row)

    def key_actor(self, key: ApiKey) -> Actor:
        """Who a key acts for: the administrator who made it (the personal-mode user for a
        key made in personal mode)."""
        if key.owner_id is None:
            return Actor.local()
        with self._read() as session:
            owner = session.get(AccountRow, key.owner_id)
            if owner is None:
                raise NotFound("user", str(key.owner_id))
            return actor_of(_account(owner))

    def touch_api_key(self, key_id: int) -> None:
        """Note that the key was just used."""
        with self._write() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is not None:
                row.last_used_at = time.time()
                session.add(row)

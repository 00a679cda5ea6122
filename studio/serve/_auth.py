"""Who is calling: API keys (stored hashed, made by an administrator in the studio) and
their rate limits.

A key is required whenever the service listens beyond loopback (or with
``--require-key``); on loopback a call without a key acts as the personal-mode user, as the
CLI does. A key that is given is always checked. A caller acts as the key's owner: runs it
starts belong to them, and it sees the runs they may see.
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.store import Actor

from ._errors import ApiError

if TYPE_CHECKING:
    from studio.store import Store

DEFAULT_RATE_LIMIT = 60  # requests per minute per key, unless the key says otherwise
_TOUCH_EVERY = 60.0  # seconds between two "last used" writes for one key


@dataclass(frozen=True)
class Caller:
    """The acting side of one request: the person it acts for (``actor``: a key's owner, or
    the local user when no key is needed and none was sent) and the key, if any."""

    actor: Actor = field(default_factory=Actor.local)
    key_id: int | None = None
    key_name: str = ""


def is_loopback(host: str) -> bool:
    """Whether listening on ``host`` keeps the service on this machine."""
    if host in ("localhost", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def presented_key(headers: Any) -> str | None:
    """The key a request carries: ``Authorization: Bearer KEY`` (what OpenAI clients send)
    or ``X-API-Key: KEY``."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    other = (headers.get("x-api-key") or "").strip()
    return other or None


class RateLimiter:
    """A token bucket per key: ``limit`` requests a minute, in bursts of up to ``limit``."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, key: int, limit: int) -> float:
        """Spend one request; 0.0 when allowed, else the seconds to wait."""
        now = self._clock()
        rate = limit / 60.0
        with self._lock:
            tokens, at = self._buckets.get(key, (float(limit), now))
            tokens = min(float(limit), tokens + (now - at) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / rate if rate > 0 else 60.0


class Gate:
    """Checks each request's key and rate limit; returns the :class:`Caller`."""

    def __init__(self, store: Store, *, require_keys: bool,
                 default_limit: int = DEFAULT_RATE_LIMIT) -> None:
        self.store = store
        self.require_keys = require_keys
        self.default_limit = default_limit
        self.limiter = RateLimiter()
        self._touched: dict[int, float] = {}
        self._lock = threading.Lock()

    def check(self, headers: Any) -> Caller:
        token = presented_key(headers)
        if token is None:
            if self.require_keys:
                raise ApiError(401, "this service needs an API key: send it as "
                                    "'Authorization: Bearer <key>' (an administrator creates "
                                    "keys on the studio's Deploy page)", "missing_api_key",
                               headers={"WWW-Authenticate": "Bearer"})
            return Caller()
        key = self.store.api_key_for(token)
        if key is None:
            raise ApiError(401, "this API key is not valid: it is unknown or was revoked "
                                "(see the studio's Deploy page)", "invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})
        limit = key.rate_limit or self.default_limit
        wait = self.limiter.take(key.id, limit)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"rate limit reached for key {key.name!r}: {limit} requests a "
                                f"minute; try again in {seconds} s", "rate_limited",
                           headers={"Retry-After": str(seconds)})
        self._touch(key.id)
        return Caller(actor=self.store.key_actor(key), key_id=key.id, key_name=key.name)

    def _touch(self, key_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._touched.get(key_id, -_TOUCH_EVERY) < _TOUCH_EVERY:
                return
            self._touched[key_id] = now
        try:
            self.store.touch_api_key(key_id)
        except Exception:  # noqa: BLE001 - "last used" is a courtesy; the call goes on
            pass

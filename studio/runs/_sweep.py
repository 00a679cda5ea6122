"""Runs that wait for a worker whose message the broker has lost.

A run handed to the workers waits as a Celery message in Redis: in the queue, or reserved
by a worker that has not started it yet. If that message is gone (Redis was flushed, or
lost its data without persistence) no worker will ever start the run, and it would stay
"queued" for good. :class:`LostRunSweep`, called every few seconds by every worker and by
every studio process with a broker, marks such a run ``interrupted`` with a reason that
says so, once its message has been missing for :func:`lost_after` seconds in a row (a run
is missing for a moment between being recorded and being sent, and between a worker taking
its message and claiming it).
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._celery import QUEUE, TASK_NAME
from ._channel import RunChannel

if TYPE_CHECKING:
    from redis import Redis

    from studio.store import Store

DEFAULT_LOST_AFTER = 60.0
LOST_REASON = ("its place in the workers' queue was lost (the broker's data was cleared or "
               "lost), so no worker would ever start it; start it again")
_PRIORITY_SEP = "\x06\x16"  # kombu's Redis transport: queue NAME + SEP + priority step
_RESERVED = "unacked"  # kombu's Redis transport: messages a worker took but has not acked


def lost_after() -> float:
    """$ROUNDTABLE_LOST_RUN_AFTER (seconds), else 60."""
    try:
        value = float(os.environ.get("ROUNDTABLE_LOST_RUN_AFTER", "") or DEFAULT_LOST_AFTER)
    except ValueError:
        return DEFAULT_LOST_AFTER
    return max(value, 1.0)


def _run_id_of(payload: Any) -> str | None:
    """The run id a Celery message (kombu's JSON envelope) carries, if it is one of ours."""
    if not isinstance(payload, dict) or (payload.get("headers") or {}).get("task") != TASK_NAME:
        return None
    try:
        body: Any = payload.get("body", "")
        if (payload.get("properties") or {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return str(args[0])
    except (ValueError, TypeError, IndexError, KeyError):
        return None


def messages_in_broker(redis: Redis) -> set[str]:
    """The ids of the runs that have a message in the broker: queued, or reserved by a
    worker that has not started it yet."""
    found: set[str] = set()
    queues = [QUEUE, *(f"{QUEUE}{_PRIORITY_SEP}{step}" for step in range(1, 10))]
    pipe = redis.pipeline(transaction=False)
    for queue in queues:
        pipe.lrange(queue, 0, -1)
    pipe.hvals(_RESERVED)
    *waiting, reserved = pipe.execute()
    for raw in [item for items in waiting for item in items]:
        found.add(_run_id_of(_loads(raw)) or "")
    for raw in reserved:  # [message, exchange, routing key]
        entry = _loads(raw)
        found.add(_run_id_of(entry[0] if isinstance(entry, list) and entry else None) or "")
    found.discard("")
    return found


def _loads(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


class LostRunSweep:
    """Marks interrupted the runs waiting for a worker whose message is gone."""

    def __init__(self, store: Store, redis: Redis, *, after: float | None = None) -> None:
        self.store = store
        self.redis = redis
        self.after = after if after is not None else lost_after()
        self._missing: dict[str, float] = {}  # run id -> when it was first seen missing

    def __call__(self) -> list[str]:
        """One sweep; returns the runs it marked."""
        waiting = self.store.queued_runs("celery")
        if not waiting:
            self._missing.clear()
            return []
        present = messages_in_broker(self.redis)
        now = time.monotonic()
        self._missing = {run_id: self._missing.get(run_id, now)
                         for run_id in waiting if run_id not in present}
        marked = []
        for run_id, since in list(self._missing.items()):
            if now - since < self.after:
                continue
            event = self.store.interrupt_lost_run(run_id, LOST_REASON)
            self._missing.pop(run_id)
            if event is None:  # a worker took it after all, or it ended
                continue
            marked.append(run_id)
            channel = RunChannel(self.redis, run_id)  # pages following it live see the end
            channel.publish(event)
            channel.set_state(status="interrupted", reason=LOST_REASON, pending=None,
                              finished_at=time.time())
            channel.expire()
        return marked


class Periodic:
    """Calls ``action`` every ``interval`` seconds on a daemon thread until stopped (a
    failure is tried again at the next turn)."""

    def __init__(self, interval: float, action: Callable[[], object], *, name: str) -> None:
        self.interval = interval
        self.action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.action()
            except Exception:  # the database or Redis is away for a moment
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)

"""Following a run's events from any position, for Server-Sent Events.

A run going on here (or on a worker) is followed through its live handle, token deltas
included; a run that has ended, or that another process runs in-process, through the
store (stored events only: token deltas are never stored). Either way the events come in
``seq`` order, each exactly once, from just after the position asked for.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from anyio import to_thread

from ._auth import Caller
from ._service import FINAL, Teams

KEEP_ALIVE = 15.0  # seconds of silence before a comment line keeps proxies and clients patient
_WAIT = 1.0  # seconds one blocking wait may take (a disconnect is noticed after at most this)
_STORE_POLL = 0.25  # seconds between two reads of a run that another process runs
_LIMITER = anyio.CapacityLimiter(256)  # threads that may wait on runs at once


async def blocking(func: Any, *args: Any) -> Any:
    return await to_thread.run_sync(func, *args, limiter=_LIMITER, abandon_on_cancel=True)


async def follow(teams: Teams, caller: Caller, run_id: str, after: int,
                 *, keep_alive: float = KEEP_ALIVE) -> AsyncIterator[dict[str, Any] | None]:
    """The run's events after ``after``, ending with its last one; ``None`` now and then
    while nothing happens (time for a keep-alive)."""
    seq = after
    quiet_since = time.monotonic()
    handle = await blocking(teams.handle, caller, run_id)
    while handle is not None:
        events = await blocking(handle.wait_for_events, seq, _WAIT)
        if events and int(events[0]["seq"]) > seq + 1:  # a resumed run: the rest is stored
            stored = await blocking(teams.events_after, caller, run_id, seq)
            events = [e for e in stored if int(e["seq"]) < int(events[0]["seq"])] + events
        for event in events:
            if int(event["seq"]) > seq:
                seq = int(event["seq"])
                yield event
        if events:
            quiet_since = time.monotonic()
        elif handle.done:
            rest = await blocking(handle.events_since, seq)
            for event in rest:
                seq = int(event["seq"])
                yield event
            if not rest:
                break
        elif time.monotonic() - quiet_since >= keep_alive:
            quiet_since = time.monotonic()
            yield None
    # the run has ended (or is not held here): what the store holds after ``seq``
    while True:
        events = await blocking(teams.events_after, caller, run_id, seq)
        for event in events:
            seq = int(event["seq"])
            yield event
        if events:
            quiet_since = time.monotonic()
        info = await blocking(teams.info, caller, run_id)
        if info.status in FINAL:
            events = await blocking(teams.events_after, caller, run_id, seq)
            for event in events:  # written between our two reads
                seq = int(event["seq"])
                yield event
            return
        if time.monotonic() - quiet_since >= keep_alive:
            quiet_since = time.monotonic()
            yield None
        await anyio.sleep(_STORE_POLL)


def sse(event: dict[str, Any]) -> bytes:
    """One event as an SSE message: ``id`` is its seq (send it back as Last-Event-ID)."""
    return f"id: {event['seq']}\ndata: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
KEEP_ALIVE_LINE = b": keep-alive\n\n"
RETRY_LINE = b"retry: 1000\n\n"

"""A run's live channel in Redis, shared by the worker executing it and every studio process.

Three keys per run:

- ``…:events`` -- a Redis Stream of the run's events, entry id ``<seq>-0``: readable from
  any position (a reloaded page or another studio process re-attaches from the last seq it
  saw), and an event can never be added twice or out of order (Redis refuses an id that is
  not greater than the last one).
- ``…:state`` -- a hash: status, the question being asked, usage, how it ended.
- ``…:control`` -- a Redis Stream of controls from the studio processes (stop, pause,
  resume, interject, answer), read by the worker in order, again from any position: a
  worker taking the run over reads them all.

When a run ends, the keys expire after a while; the store keeps the transcript.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis import Redis
    from redis.typing import KeyT, StreamIdT, StreamRangeResponse, XReadResponse

Entry = tuple[str, dict[str, str]]  # a stream entry: its id and its fields

PREFIX = "roundtable:run:"
KEEP_AFTER_END = 3600  # seconds the channel stays readable after the run ended


def redis_client(url: str) -> Redis:
    """A client for ``url`` (thread-safe, pooled); a clear error when Redis is missing."""
    try:
        from redis import Redis
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise RuntimeError("the redis package is missing: pip install celery redis") from exc
    return Redis.from_url(url, decode_responses=True, health_check_interval=30,
                          socket_keepalive=True)


def _stream_id(seq: int) -> str:
    return f"{int(seq)}-0"


def _seq_of(stream_id: str) -> int:
    return int(stream_id.split("-", 1)[0])


def _text(value: object) -> str:
    """One value of a reply as text (our clients decode replies; bytes from any other)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"unexpected value in a Redis reply: {value!r}")


def _entries(reply: StreamRangeResponse | None) -> list[Entry]:
    """An XRANGE/XREVRANGE reply as (id, fields) text pairs (the client types allow an
    entry without id or fields -- consumer-group reads of deleted entries -- skipped here)."""
    return [(_text(entry_id), {_text(k): _text(v) for k, v in fields.items()})
            for entry_id, fields in reply or () if entry_id is not None and fields is not None]


def read_streams(redis: Redis, streams: dict[KeyT, StreamIdT],
                 block: int) -> dict[str, list[Entry]]:
    """XREAD ``streams`` (key -> the last id seen), blocking up to ``block`` ms: the new
    entries of each stream that has some. The client returns RESP2's list of [key, entries]
    (what ours do) or RESP3's map of key -> entries; both are read."""
    reply: XReadResponse = redis.xread(streams, block=block)
    pairs = reply.items() if isinstance(reply, dict) else reply
    found: dict[str, list[Entry]] = {}
    for key, items in pairs:
        entries = found.setdefault(_text(key), [])
        for item in items:  # an entry, or (RESP3 map) a list of entries
            entries.extend(_entries(item if isinstance(item, list) else [item]))
    return found


CONTROLS_CLOSED = "controls_closed"  # a state field: the worker took its last controls
# Checked and added in one step on the server, so a message cannot slip in after the
# worker's last read (close_controls sets the field and reads in one transaction).
_SEND_WHILE_OPEN = """
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return 0 end
redis.call('XADD', KEYS[2], '*', 'c', ARGV[1])
return 1
"""


def _controls(entries: Any) -> list[tuple[str, dict[str, Any]]]:
    """A control stream's entries as (entry id, control)."""
    return [(entry_id, json.loads(fields["c"])) for entry_id, fields in _entries(entries)]


class RunChannel:
    def __init__(self, redis: Redis, run_id: str) -> None:
        self.redis = redis
        self.run_id = run_id
        self.events_key = f"{PREFIX}{run_id}:events"
        self.state_key = f"{PREFIX}{run_id}:state"
        self.control_key = f"{PREFIX}{run_id}:control"

    # -- events ----------------------------------------------------------------------------
    def publish(self, event: dict[str, Any]) -> bool:
        """Add one event (it holds ``seq``); False when that seq is already there."""
        from redis.exceptions import ResponseError

        try:
            self.redis.xadd(self.events_key, {"e": json.dumps(event), "t": repr(time.time())},
                            id=_stream_id(event["seq"]))
        except ResponseError as exc:
            if "equal or smaller" in str(exc):
                return False
            raise
        return True

    def last_seq(self) -> int:
        """The seq of the newest event in the stream (0 when it is empty)."""
        newest = _entries(self.redis.xrevrange(self.events_key, count=1))
        return _seq_of(newest[0][0]) if newest else 0

    def events_since(self, seq: int, count: int | None = None) -> list[dict[str, Any]]:
        """The events after ``seq``, in order."""
        entries = self.redis.xrange(self.events_key, min=f"({_stream_id(seq)}", count=count)
        return [json.loads(fields["e"]) for _id, fields in _entries(entries)]

    def wait_for_events(self, seq: int, timeout: float) -> list[dict[str, Any]]:
        """Block up to ``timeout`` seconds for events after ``seq``."""
        block = max(int(timeout * 1000), 1)
        found = read_streams(self.redis, {self.events_key: _stream_id(seq)}, block)
        return [json.loads(fields["e"]) for _id, fields in found.get(self.events_key, [])]

    def exists(self) -> bool:
        return bool(self.redis.exists(self.state_key))

    # -- state -----------------------------------------------------------------------------
    def set_state(self, **fields: Any) -> None:
        self.redis.hset(self.state_key, mapping={k: json.dumps(v) for k, v in fields.items()})

    def state(self) -> dict[str, Any]:
        fields = self.redis.hgetall(self.state_key)
        return {_text(k): json.loads(v) for k, v in fields.items()}

    # -- controls --------------------------------------------------------------------------
    def send(self, op: str, **fields: Any) -> None:
        """A control for the worker (op: cancel, pause, resume, interject, answer)."""
        self.redis.xadd(self.control_key, {"c": json.dumps({"op": op, **fields})})

    def send_while_open(self, op: str, **fields: Any) -> bool:
        """Like :meth:`send`, for a control that must reach the run or be refused (a
        person's message): False, and nothing sent, once the worker has taken its last
        controls (:meth:`close_controls`)."""
        sent = self.redis.eval(_SEND_WHILE_OPEN, 2, self.state_key, self.control_key,
                               json.dumps({"op": op, **fields}), CONTROLS_CLOSED)
        return bool(sent)

    def controls_after(self, last_id: str = "0") -> list[tuple[str, dict[str, Any]]]:
        return _controls(self.redis.xrange(self.control_key, min=f"({last_id}"))

    def open_controls(self) -> None:
        """Take messages again (a worker takes over a run whose last worker had closed its
        controls and then died before the run was stored as ended)."""
        self.redis.hdel(self.state_key, CONTROLS_CLOSED)

    def close_controls(self, last_id: str = "0") -> list[tuple[str, dict[str, Any]]]:
        """The controls after ``last_id``, taken for the last time: in the same step the
        channel stops taking messages (:meth:`send_while_open` refuses them), so each one is
        either among these or refused, never left unread."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.state_key, CONTROLS_CLOSED, json.dumps(True))
        pipe.xrange(self.control_key, min=f"({last_id}")
        _closed, entries = pipe.execute()
        return _controls(entries)

    # -- housekeeping ----------------------------------------------------------------------
    def expire(self, seconds: int = KEEP_AFTER_END) -> None:
        pipe = self.redis.pipeline()
        for key in (self.events_key, self.state_key, self.control_key):
            pipe.expire(key, seconds)
        pipe.execute()

    def forget(self) -> None:
        self.redis.delete(self.events_key, self.state_key, self.control_key)

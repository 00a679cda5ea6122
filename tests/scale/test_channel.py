"""A run's Redis channel reads the same whatever reply shape the client returns: redis-py's
legacy RESP2 lists (what ``redis_client`` gets) and its RESP3 maps (``legacy_responses=False``)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from redis import Redis

from studio.runs._channel import RunChannel, read_streams, redis_client


@pytest.fixture(params=["legacy", "resp3-maps"])
def client(request: pytest.FixtureRequest, broker: str) -> Redis:
    if request.param == "legacy":
        return redis_client(broker)
    return Redis.from_url(broker, decode_responses=True, protocol=3, legacy_responses=False)


def test_events_and_controls_round_trip(client: Redis) -> None:
    channel = RunChannel(client, "run-1")
    assert channel.last_seq() == 0
    assert channel.wait_for_events(0, timeout=0.05) == []
    for seq in (1, 2, 3):
        assert channel.publish({"seq": seq, "kind": "message", "text": f"m{seq}"})
    assert not channel.publish({"seq": 2, "kind": "message"})  # never twice
    assert channel.last_seq() == 3
    assert [e["seq"] for e in channel.events_since(1)] == [2, 3]
    assert [e["text"] for e in channel.wait_for_events(1, timeout=1)] == ["m2", "m3"]

    channel.set_state(status="running", pending=None, usage={"tokens": 3})
    assert channel.state() == {"status": "running", "pending": None, "usage": {"tokens": 3}}

    channel.send("pause")
    channel.send("interject", text="hello")
    controls = channel.controls_after()
    assert [c for _id, c in controls] == [{"op": "pause"}, {"op": "interject", "text": "hello"}]
    assert channel.controls_after(controls[0][0]) == controls[1:]


def test_read_streams_reads_several_streams_at_once(client: Redis) -> None:
    first, second = RunChannel(client, "run-a"), RunChannel(client, "run-b")
    first.send("pause")
    second.send("cancel")
    found = read_streams(client, {first.control_key: "0", second.control_key: "0",
                                  f"{first.control_key}:none": "0"}, block=100)
    assert sorted(found) == sorted([first.control_key, second.control_key])
    assert [fields["c"] for _id, fields in found[second.control_key]] == ['{"op": "cancel"}']
    assert read_streams(client, {first.control_key: found[first.control_key][-1][0]},
                        block=50) == {}


def test_a_message_is_either_taken_by_the_last_read_or_refused(client: Redis) -> None:
    channel = RunChannel(client, "run-closing")
    assert channel.send_while_open("interject", text="first")
    seen = channel.controls_after()
    assert channel.send_while_open("interject", text="during the last turn")
    channel.send("pause")

    last = channel.close_controls(seen[-1][0])  # the worker's last read, as the run ends
    assert [c for _id, c in last] == [{"op": "interject", "text": "during the last turn"},
                                      {"op": "pause"}]
    assert not channel.send_while_open("interject", text="too late")  # refused, not unread
    assert channel.controls_after(last[-1][0]) == []
    assert channel.state() == {"controls_closed": True}

    channel.open_controls()  # another worker takes the run over
    assert channel.send_while_open("interject", text="again")
    assert [c["text"] for _id, c in channel.controls_after(last[-1][0])] == ["again"]


def test_no_message_slips_between_the_last_read_and_the_close(client: Redis,
                                                              broker: str) -> None:
    """Senders racing the close: every message they were told was sent is in the last
    read (or an earlier one); every other one was refused."""
    channel = RunChannel(client, "run-race")
    other = RunChannel(redis_client(broker), "run-race")  # a studio, on its own connection
    accepted: list[str] = []
    stop = threading.Event()

    def send() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            if other.send_while_open("interject", text=f"m{n}"):
                accepted.append(f"m{n}")

    sender = threading.Thread(target=send)
    sender.start()
    try:
        seen: list[tuple[str, dict[str, Any]]] = []
        deadline = time.monotonic() + 60  # a sender that died fails the test, not hangs it
        while len(accepted) < 20:
            assert time.monotonic() < deadline and sender.is_alive(), accepted
            seen += channel.controls_after(seen[-1][0] if seen else "0")
        seen += channel.close_controls(seen[-1][0] if seen else "0")
    finally:
        stop.set()
        sender.join()
    assert [c["text"] for _id, c in seen] == accepted


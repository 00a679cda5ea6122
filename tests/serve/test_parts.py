"""The service's parts that need no server: who must send a key, the rate limiter, and how
a streamed answer is cut from the final speaker's tokens."""

from __future__ import annotations

import pytest

from studio.serve import ServeOptions, is_loopback
from studio.serve._auth import RateLimiter
from studio.serve._openai import _Answer


@pytest.mark.parametrize("host, local", [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.5", False),
    ("10.0.0.1", False), ("studio.example.org", False)])
def test_keys_are_required_beyond_loopback(host: str, local: bool) -> None:
    assert is_loopback(host) is local
    assert ServeOptions(templates=("x",), host=host).keys_required is (not local)
    assert ServeOptions(templates=("x",), host=host, require_key=True).keys_required


def test_the_rate_limiter_allows_a_burst_then_one_request_per_share_of_a_minute() -> None:
    now = [1000.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.take(1, 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take(1, 3) == pytest.approx(20.0)  # 3 a minute: one more in 20 s
    assert limiter.take(2, 3) == 0.0  # another key has its own bucket
    now[0] += 20.0
    assert limiter.take(1, 3) == 0.0
    assert limiter.take(1, 3) > 0


def _events(*deltas: str, content: str, summary: str) -> list[dict]:
    tokens = [{"type": "token", "agent": "writer", "delta": d, "depth": 0} for d in deltas]
    return [{"type": "message", "sender": "user", "depth": 0,
             "message": {"role": "user", "content": "task"}},
            {"type": "token", "agent": "critic", "delta": "nested", "depth": 1},
            *tokens,
            {"type": "message", "sender": "writer", "depth": 0,
             "message": {"role": "assistant", "content": content}},
            {"type": "run_finished", "status": "finished", "summary": summary,
             "usage": {"total": {"prompt_tokens": 5, "completion_tokens": 7}}}]


def test_the_stream_relays_the_final_speakers_tokens_without_the_marker() -> None:
    answer = _Answer()
    for event in _events(" Here", " is the", " poem.\nTERM", "INATE",
                         content=" Here is the poem.\nTERMINATE", summary="Here is the poem."):
        answer.feed(event)
    assert answer.pieces() == ["Here", " is the", " poem."]
    assert "".join(answer.pieces()) == answer.answer() == "Here is the poem."
    assert answer.failure() is None and answer.usage().total_tokens == 12


def test_an_answer_that_was_not_streamed_comes_in_words() -> None:
    answer = _Answer()
    for event in _events(content="Short answer. TERMINATE", summary=""):
        answer.feed(event)
    assert answer.answer() == "Short answer."  # no summary: the final message, unmarked
    assert answer.pieces() == ["Short ", "answer."]


def test_a_reflection_summary_is_sent_in_words() -> None:
    answer = _Answer()
    for event in _events("Draft", " text", content="Draft text", summary="The gist."):
        answer.feed(event)
    assert answer.pieces() == ["The ", "gist."]

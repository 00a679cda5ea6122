"""Engine overhead against a zero-latency model: how close does a run get to the wire?

A loopback OpenAI-compatible server runs in a separate process and answers at once. Each
scenario runs through ``studio.engine`` with the real ``OpenAIChatModel``; the request
bodies it sent are then replayed, in the same run, through two floors:

* the bare ``openai`` SDK (``client.chat.completions.create``, no engine), and
* raw HTTP (``http.client``, keep-alive, bodies pre-serialised).

It prints messages per second and the ratios ``engine / floor``. Ratios, not pass/fail.

    python bench/engine_overhead.py            # full (the SDK floor at 800 messages is slow)
    python bench/engine_overhead.py --quick    # under a minute: SDK floor sampled on long runs
    python bench/engine_overhead.py --profile S1-800   # cProfile the engine on one scenario
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import json
import pstats
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import openai  # noqa: E402

from studio.engine import (  # noqa: E402
    ConversableAgent,
    GroupChat,
    GroupChatManager,
    ModelRequest,
    ModelResponse,
    Tool,
)
from studio.engine._messages import to_wire  # noqa: E402
from studio.engine.models import OpenAIChatModel  # noqa: E402

MODEL = "bench-model"
BIG = 10**6


@contextmanager
def server_process() -> Iterator[str]:
    """The loopback server in its own process (no GIL contention with the client)."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.support.oai_server", "--port", "0", "--echo-tools"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().split()
        if line[:1] != ["READY"]:
            raise RuntimeError("the loopback server did not start")
        yield f"http://127.0.0.1:{line[1]}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


class Recording:
    """A ModelClient that records what it was asked, then lets the real client answer."""

    def __init__(self, inner: OpenAIChatModel, log: list[tuple[ModelRequest, bool]]) -> None:
        self.inner = inner
        self.label = inner.label
        self.log = log

    def complete(self, request: ModelRequest, *, cancel: Any = None, on_token: Any = None) -> ModelResponse:
        self.log.append((request, on_token is not None))
        return self.inner.complete(request, cancel=cancel, on_token=on_token)


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: the first number.
        b: the second number.
    """
    return a + b


# -- scenarios ----------------------------------------------------------------------------------
def _agent(name: str, model: Any, stream: bool, **kw: Any) -> ConversableAgent:
    return ConversableAgent(name, model=model, stream=stream, human_input="never",
                            max_consecutive_auto_reply=BIG, description=f"{name} helps.", **kw)


def s1(messages: int) -> Callable[[Callable[[], Any], bool], int]:
    def run(model: Callable[[], Any], stream: bool) -> int:
        a, b = _agent("alice", model(), stream), _agent("bob", model(), stream)
        return len(a.initiate_chat(b, message="Let us talk.", max_turns=messages // 2).history)
    return run


def s2(model: Callable[[], Any], stream: bool) -> int:
    agents = [_agent(f"agent{i}", model(), stream) for i in range(5)]
    manager = GroupChatManager(GroupChat(agents=agents, max_round=100, speaker_selection="round_robin"))
    return len(agents[0].initiate_chat(manager, message="Round robin, go.").history)


def s3(model: Callable[[], Any], stream: bool) -> int:
    agents = [_agent(name, model(), stream) for name in ("planner", "coder", "critic", "writer")]
    manager = GroupChatManager(GroupChat(agents=agents, max_round=40, speaker_selection="auto"), model=model())
    return len(agents[0].initiate_chat(manager, message="Auto selection, go.").history)


def s4(model: Callable[[], Any], stream: bool) -> int:
    assistant = _agent("assistant", model(), stream, tools=[Tool.from_function(add)])
    proxy = _agent("proxy", None, stream, tools_for_execution=[Tool.from_function(add)])
    return len(proxy.initiate_chat(assistant, message="Add numbers fifty times.", max_turns=50).history)


SCENARIOS: dict[str, Callable[[Callable[[], Any], bool], int]] = {
    "S1-50": s1(50), "S1-200": s1(200), "S1-800": s1(800),
    "S2": s2, "S3": s3, "S4": s4,
}


# -- floors -------------------------------------------------------------------------------------
def _wire(request: ModelRequest, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODEL, "messages": [to_wire(m) for m in request.messages]}
    if request.tools:
        body["tools"] = list(request.tools)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def sdk_floor(base_url: str, bodies: list[dict[str, Any]]) -> float:
    client = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "warm up"}])
    started = time.perf_counter()
    for body in bodies:
        result = client.chat.completions.create(**body)
        if body.get("stream"):
            for _ in result:  # type: ignore[union-attr]
                pass
    return time.perf_counter() - started


def raw_floor(base_url: str, bodies: list[dict[str, Any]]) -> float:
    host, port = base_url.split("//", 1)[1].split("/", 1)[0].split(":")
    payloads = [json.dumps(b).encode() for b in bodies]
    conn = http.client.HTTPConnection(host, int(port))
    headers = {"Content-Type": "application/json", "Authorization": "Bearer bench"}
    started = time.perf_counter()
    for payload in payloads:
        conn.request("POST", "/v1/chat/completions", payload, headers)
        conn.getresponse().read()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


@dataclass
class Row:
    name: str
    stream: bool
    messages: int
    requests: int
    engine: float
    sdk: float
    sdk_sampled: bool
    raw: float


def measure(name: str, base_url: str, stream: bool, sample_sdk: int, floors: bool = True) -> Row:
    log: list[tuple[ModelRequest, bool]] = []

    def model() -> Recording:
        return Recording(OpenAIChatModel(MODEL, base_url=base_url, max_retries=0), log)

    started = time.perf_counter()
    messages = SCENARIOS[name](model, stream)
    engine = time.perf_counter() - started
    bodies = [_wire(req, streamed) for req, streamed in log]
    if not floors:
        return Row(name, stream, messages, len(bodies), engine, 0.0, False, 0.0)
    step = sample_sdk if len(bodies) > 100 else 1
    sdk = sdk_floor(base_url, bodies[::step]) * step
    return Row(name, stream, messages, len(bodies), engine, sdk, step > 1, raw_floor(base_url, bodies))


def print_table(rows: list[Row]) -> None:
    print(f"{'scenario':<10} {'mode':<7} {'msgs':>5} {'reqs':>5} {'engine s':>9} {'msg/s':>8} "
          f"{'SDK floor s':>12} {'eng/SDK':>8} {'raw s':>7} {'eng/raw':>8}")
    for r in rows:
        sdk = f"{'~' if r.sdk_sampled else ''}{r.sdk:.3f}"
        print(f"{r.name:<10} {'stream' if r.stream else 'plain':<7} {r.messages:>5} {r.requests:>5} "
              f"{r.engine:>9.3f} {r.messages / r.engine:>8.0f} {sdk:>12} {r.engine / r.sdk:>8.2f} "
              f"{r.raw:>7.3f} {r.engine / r.raw:>8.2f}")


def print_targets(rows: list[Row]) -> None:
    by = {(r.name, r.stream): r for r in rows}
    print("\nTargets (AutoGen 0.2 / AgentChat 0.7.5: ~1.6-2.1 s at S1-200, 25-28 s at S1-800):")
    for stream in (False, True):
        mode = "stream" if stream else "plain"
        if ("S1-800", stream) in by:
            t = by[("S1-800", stream)].engine
            print(f"  [{mode}] S1 at 800 messages under 1.5 s: {t:.3f} s -> {'met' if t < 1.5 else 'MISSED'}")
            print(f"  [{mode}] S1-800 vs AutoGen 25 s: {25 / t:.1f}x faster (target >= 3x)")
        if ("S1-200", stream) in by:
            t = by[("S1-200", stream)].engine
            print(f"  [{mode}] S1-200 vs AutoGen 1.6 s: {1.6 / t:.1f}x faster (target >= 3x)")
        if ("S1-200", stream) in by and ("S1-800", stream) in by:
            growth = by[("S1-800", stream)].engine / by[("S1-200", stream)].engine
            print(f"  [{mode}] 200 -> 800 messages: {growth:.1f}x time (target <= 6x)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="sample the slow SDK floor on long runs")
    parser.add_argument("--plain-only", action="store_true", help="skip the streaming runs")
    parser.add_argument("--only", nargs="*", choices=list(SCENARIOS), help="run these scenarios only")
    parser.add_argument("--profile", choices=list(SCENARIOS), help="cProfile the engine on one scenario")
    args = parser.parse_args(argv)
    names = args.only or list(SCENARIOS)
    with server_process() as base_url:
        measure("S1-50", base_url, False, 1)  # warm up: imports, connections, caches
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            measure(args.profile, base_url, False, 1, floors=False)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            return
        rows = [measure(name, base_url, stream, 10 if args.quick else 1)
                for stream in ((False,) if args.plain_only else (False, True)) for name in names]
    print_table(rows)
    print_targets(rows)
    print("\n'~' = SDK floor estimated from every 10th request (--quick). Ratios near 1.0 vs raw mean "
          "the engine adds little; below 1.0 vs SDK means faster than the bare SDK.")


if __name__ == "__main__":
    main()

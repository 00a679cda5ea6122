"""`roundtable serve` against a bare uvicorn "hello" endpoint, measured in the same run.

    python bench/serve.py [--requests 120] [--concurrency 4] [--rounds 3]

Two servers run as separate processes on loopback: `roundtable serve` with a one-message
template (a user proxy sends the task, a Demo-model assistant streams one reply) and an
API key, and a bare Starlette app on uvicorn answering "hello" (JSON, and a one-chunk
event stream). Interleaved rounds, so both share the machine's load:

- requests/s: POST /v1/chat/completions (one run per request) vs POST /hello, with
  ``--concurrency`` clients on kept-alive connections;
- time to first streamed token: from sending a streaming chat completion to its first
  content chunk, vs from sending to the first chunk of the hello stream.

Prints the medians and the ratios (serve / hello). A run costs: a thread, the team built
from its template, every event committed to SQLite, the answer read back.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.serve import ServeProcess, free_port  # noqa: E402

ONE_MESSAGE = """\
format: 1
name: One message
description: The smallest team that answers - one streamed reply.
models: {main: demo}
agents:
  - {name: user, kind: user_proxy, human_input: never}
  - {name: assistant, kind: assistant, model: main, stream: true}
pattern:
  kind: two_agent
  starter: user
  max_turns: 1
  edges: [{source: user, target: assistant}]
sample_tasks: [Say hello.]
"""

HELLO_APP = textwrap.dedent("""
    import sys
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, StreamingResponse
    from starlette.routing import Route

    async def hello(request):
        await request.body()
        return JSONResponse({"hello": "world"})

    async def stream(request):
        await request.body()
        async def chunks():
            yield b'data: {"hello": "world"}\\n\\n'
            yield b"data: [DONE]\\n\\n"
        return StreamingResponse(chunks(), media_type="text/event-stream")

    app = Starlette(routes=[Route("/hello", hello, methods=["POST"]),
                            Route("/stream", stream, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
""")

BODY = {"model": "one-message", "messages": [{"role": "user", "content": "Say hello."}]}


def _wait(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.post(url, json={}, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def _throughput(url: str, headers: dict[str, str], body: dict, count: int,
                concurrency: int) -> float:
    local = threading.local()

    def one(_: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        response = session.post(url, json=body, headers=headers, timeout=60)
        response.raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    return count / (time.perf_counter() - started)


def _first_chunk(url: str, headers: dict[str, str], body: dict, *, content: bool) -> float:
    """Seconds from sending to the first data line (``content``: the first one carrying
    answer text, not the opening role chunk)."""
    started = time.perf_counter()
    with requests.post(url, json=body, headers=headers, stream=True, timeout=60) as response:
        response.raise_for_status()
        for line in response.iter_lines(decode_unicode=True):
            if not line or not line.startswith("data:"):
                continue
            if not content or '"content": "' in line and '"content": ""' not in line:
                return time.perf_counter() - started
    raise RuntimeError(f"{url}: the stream ended without content")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=120, help="requests per measurement")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ttft-samples", type=int, default=15, help="per round")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rt-bench-serve-") as scratch:
        root = Path(scratch)
        (root / "one-message.yaml").write_text(ONE_MESSAGE)
        from studio.store import Actor, Store

        store = Store.open(None, root / "data")
        key = store.create_api_key(Actor.local(), "bench", rate_limit=100_000)[1]
        store.close()
        port = free_port()
        hello = subprocess.Popen([sys.executable, "-c", HELLO_APP, str(port)],
                                 start_new_session=True)
        served = ServeProcess([str(root / "one-message.yaml")], root / "data",
                              log_path=root / "serve.log")
        try:
            served.start()
            _wait(f"http://127.0.0.1:{port}/hello")
            auth = {"Authorization": f"Bearer {key}"}
            chat = f"{served.url}/v1/chat/completions"
            hello_url = f"http://127.0.0.1:{port}"
            warm = max(10, args.requests // 10)
            _throughput(chat, auth, BODY, warm, args.concurrency)  # warm-up: imports, caches
            _throughput(f"{hello_url}/hello", auth, BODY, warm, args.concurrency)
            rps = {"serve": [], "hello": []}
            ttft = {"serve": [], "hello": []}
            for _ in range(args.rounds):
                rps["serve"].append(_throughput(chat, auth, BODY, args.requests,
                                                args.concurrency))
                rps["hello"].append(_throughput(f"{hello_url}/hello", auth, BODY,
                                                args.requests, args.concurrency))
                for _ in range(args.ttft_samples):
                    ttft["serve"].append(_first_chunk(chat, auth, {**BODY, "stream": True},
                                                      content=True))
                    ttft["hello"].append(_first_chunk(f"{hello_url}/stream", auth, BODY,
                                                      content=False))
        finally:
            served.stop()
            hello.send_signal(signal.SIGINT)
            hello.wait(10)

    serve_rps, hello_rps = statistics.median(rps["serve"]), statistics.median(rps["hello"])
    serve_ttft = statistics.median(ttft["serve"])
    hello_ttft = statistics.median(ttft["hello"])
    print(f"roundtable serve vs a bare uvicorn hello endpoint, {args.rounds} rounds of "
          f"{args.requests} requests at concurrency {args.concurrency} (load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"{'measure':<34} {'serve':>10} {'hello':>10} {'ratio':>8}")
    print(f"{'requests/s (one-message template)':<34} {serve_rps:10.1f} {hello_rps:10.1f} "
          f"{serve_rps / hello_rps:8.3f}")
    print(f"{'time to first streamed token (ms)':<34} {serve_ttft * 1000:10.1f} "
          f"{hello_ttft * 1000:10.1f} {serve_ttft / hello_ttft:8.1f}")
    print("ratios: requests/s as a share of the bare endpoint's (1 = no cost); time to first "
          "token as a multiple of the bare endpoint's first chunk")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up cost of one trivial execution per executor, as a ratio to the unsandboxed one.

    python bench/sandbox.py [--runs N] [--docker-host unix:///run/roundtable-podman.sock]

Prints the median wall time of ``print(1)`` for: an unsandboxed subprocess, bubblewrap, and a
container (skipped with a note when no engine answers), then the milliseconds bubblewrap adds
(target: about 50 ms or less).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.engine.code import (  # noqa: E402
    CodeBlock,
    CodeExecutionError,
    DockerExecutor,
    LocalExecutor,
)

TRIVIAL = [CodeBlock("print(1)", "python")]


def median_ms(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up (first container start, page cache)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST"))
    args = parser.parse_args()

    results: dict[str, float] = {}
    plain = LocalExecutor(sandbox="none", allow_unsandboxed=True)
    results["subprocess"] = median_ms(lambda: plain.execute(TRIVIAL), args.runs)
    plain.cleanup()

    try:
        bwrap = LocalExecutor(sandbox="bubblewrap")
        bwrap.execute(TRIVIAL)
        results["bubblewrap"] = median_ms(lambda: bwrap.execute(TRIVIAL), args.runs)
        bwrap.cleanup()
    except CodeExecutionError as exc:
        print(f"bubblewrap: skipped ({exc})")

    docker = DockerExecutor(base_url=args.docker_host)
    try:
        results["docker"] = median_ms(lambda: docker.execute(TRIVIAL), max(3, args.runs // 3))
    except CodeExecutionError as exc:
        print(f"docker: skipped ({exc})")
    finally:
        docker.cleanup()

    base = results["subprocess"]
    print(f"{'executor':<12}{'median ms':>12}{'ratio':>10}")
    for name, ms in results.items():
        print(f"{name:<12}{ms:>12.1f}{ms / base:>9.1f}x")
    if "bubblewrap" in results:
        added = results["bubblewrap"] - base
        verdict = "within" if added <= 50 else "OVER"
        print(f"bubblewrap adds {added:.1f} ms per execution ({verdict} the ~50 ms target)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

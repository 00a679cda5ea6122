"""Start-up cost of one trivial execution per executor, as a ratio to the unsandboxed one.

    python bench/sandbox.py [--runs N] [--docker-host unix:///run/roundtable-podman.sock]

Prints the median wall time of ``print(1)`` for: an unsandboxed subprocess (the baseline),
bubblewrap without and with the run's limits (a cgroup, the work dir's own file system: they
need root, and the table says when they were not available), a container (skipped with a note
when no engine answers); then what a run pays once for its limits (its first execution), and a
call to a tool that runs in the sandbox against the same tool loaded in-process.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.engine import Tool  # noqa: E402
from studio.engine.code import (  # noqa: E402
    CodeBlock,
    CodeExecutionError,
    DockerExecutor,
    Limits,
    LocalExecutor,
    sandboxed_tool,
)

TRIVIAL = [CodeBlock("print(1)", "python")]
NO_RUN_LIMITS = Limits(memory_mb=None, max_processes=None, disk_mb=None)
TOOL = ('def shout(text: str) -> str:\n    """Shout.\n\n    Args:\n        text: What to shout.\n'
        '    """\n    return text.upper()\n')


def median_ms(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up (first container start, page cache, the run's limits)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def first_execution_ms(limits: Limits, runs: int) -> float:
    """A fresh run's first execution: it makes the run's cgroup and file system."""
    times = []
    for _ in range(max(3, runs // 3)):
        executor = LocalExecutor(sandbox="bubblewrap", limits=limits)
        started = time.perf_counter()
        executor.execute(TRIVIAL)
        times.append((time.perf_counter() - started) * 1000)
        executor.cleanup()
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--docker-host", default=os.environ.get("DOCKER_HOST"))
    args = parser.parse_args()

    results: dict[str, float] = {}
    notes: list[str] = []
    plain = LocalExecutor(sandbox="none", allow_unsandboxed=True, limits=NO_RUN_LIMITS)
    results["subprocess"] = median_ms(lambda: plain.execute(TRIVIAL), args.runs)
    plain.cleanup()

    try:
        bare = LocalExecutor(sandbox="bubblewrap", limits=NO_RUN_LIMITS)
        results["bubblewrap"] = median_ms(lambda: bare.execute(TRIVIAL), args.runs)
        bare.cleanup()
        limited = LocalExecutor(sandbox="bubblewrap")
        results["bubblewrap+limits"] = median_ms(lambda: limited.execute(TRIVIAL), args.runs)
        notes += [f"  {what}: {how}" for what, how in limited.limits_report.items()]
        limited.cleanup()
        results["first of a run"] = first_execution_ms(Limits(), args.runs)
        results["first, no limits"] = first_execution_ms(NO_RUN_LIMITS, args.runs)
    except CodeExecutionError as exc:
        print(f"bubblewrap: skipped ({exc})")

    docker = DockerExecutor(base_url=args.docker_host)
    try:
        results["docker"] = median_ms(lambda: docker.execute(TRIVIAL), max(3, args.runs // 3))
    except CodeExecutionError as exc:
        print(f"docker: skipped ({exc})")
    finally:
        docker.cleanup()

    namespace: dict[str, object] = {}
    exec(compile(TOOL, "<bench tool>", "exec"), namespace)  # noqa: S102 - our own constant
    in_process = Tool.from_function(namespace["shout"])  # type: ignore[arg-type]
    tool_ms = {"tool in-process": median_ms(lambda: in_process.invoke('{"text": "hi"}'),
                                            args.runs)}
    with tempfile.TemporaryDirectory() as work:
        try:
            box = LocalExecutor(sandbox="bubblewrap", work_dir=work)
            tool = sandboxed_tool("shout", TOOL, box)
            tool_ms["tool in sandbox"] = median_ms(lambda: tool.invoke('{"text": "hi"}'),
                                                   args.runs)
            box.cleanup()
        except CodeExecutionError as exc:
            print(f"sandboxed tool: skipped ({exc})")

    base = results["subprocess"]
    print(f"{'executor':<20}{'median ms':>12}{'ratio':>10}")
    for name, ms in results.items():
        print(f"{name:<20}{ms:>12.1f}{ms / base:>9.1f}x")
    if "bubblewrap" in results:
        added = results["bubblewrap"] - base
        verdict = "within" if added <= 50 else "OVER"
        print(f"bubblewrap adds {added:.1f} ms per execution ({verdict} the ~50 ms target); "
              f"the run's limits add {results['bubblewrap+limits'] - results['bubblewrap']:.1f} "
              f"ms more, and {results['first of a run'] - results['first, no limits']:.1f} ms "
              "once per run")
    print("the run's limits here:")
    print("\n".join(notes) or "  (bubblewrap skipped)")
    tool_base = tool_ms["tool in-process"]
    for name, ms in tool_ms.items():
        print(f"{name:<20}{ms:>12.2f}{ms / tool_base:>9.0f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

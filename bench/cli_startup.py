"""Start-up cost of commands that call no model, as a ratio to ``python -c pass``.

    python bench/cli_startup.py [--runs N]

Runs each command N times, interleaved (so that all share the machine's load), each in a
fresh process: ``python -c pass`` (the baseline), ``roundtable --help``, ``roundtable
templates list`` (on a fresh data dir) and ``import studio.engine``. Prints the median wall
time and the median CPU time (user + system: less sensitive to other work on the machine)
of each, their ratio to the baseline, and whether the command imported the openai SDK
(it must not: the SDK is imported only when a model is called). Target: ``--help`` and
``templates list`` under 0.5 s on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SDK_PROBE = ("import atexit, sys\n"
              "atexit.register(lambda: sys.stderr.write('SDK=%s\\n' % ('openai' in sys.modules)))\n")


def _roundtable(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("roundtable")
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "studio", *args]


def _probe(*args: str) -> list[str]:
    """The same command, in-process, reporting whether it imported the SDK."""
    code = _SDK_PROBE + f"from studio.cli import main\nsys.exit(main({list(args)!r}))"
    return [sys.executable, "-c", code]


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _imports_sdk(command: list[str], env: dict[str, str]) -> bool:
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    return "SDK=True" in done.stderr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rt-bench-") as data_dir:
        env = dict(os.environ, ROUNDTABLE_DATA_DIR=data_dir)
        env.pop("ROUNDTABLE_DB_URL", None)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "roundtable --help": _roundtable("--help"),
            "roundtable templates list": _roundtable("templates", "list"),
            "import studio.engine": [sys.executable, "-c", "import studio.engine"],
        }
        probes = {
            "roundtable --help": _probe("--help"),
            "roundtable templates list": _probe("templates", "list"),
            "import studio.engine": [sys.executable, "-c", _SDK_PROBE + "import studio.engine"],
        }
        for command in commands.values():  # warm-up: page cache, .pyc files, the database
            _run(command, env)
        walls: dict[str, list[float]] = {name: [] for name in commands}
        cpus: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                wall, cpu = _run(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        sdk = {name: _imports_sdk(command, env) for name, command in probes.items()}

    base_wall = statistics.median(walls["python -c pass"])
    base_cpu = statistics.median(cpus["python -c pass"])
    load = os.getloadavg()[0]
    print(f"CLI start-up, median of {args.runs} runs (load average {load:.1f} on "
          f"{os.cpu_count()} cores)")
    print(f"{'command':<28} {'wall s':>8} {'x pass':>8} {'cpu s':>8} {'x pass':>8}  openai SDK")
    for name in commands:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        imported = "" if name not in sdk else ("IMPORTED" if sdk[name] else "not imported")
        print(f"{name:<28} {wall:8.3f} {wall / base_wall:8.1f} {cpu:8.3f} "
              f"{cpu / max(base_cpu, 1e-3):8.1f}  {imported}")
    print("target: --help and templates list under 0.5 s on an idle machine "
          "(on a busy one, read the cpu column)")
    return 1 if any(sdk.values()) else 0


if __name__ == "__main__":
    sys.exit(main())

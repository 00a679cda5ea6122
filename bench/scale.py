"""Scale-out figures: runs on Celery workers against the in-process runner, in the same run.

For the in-process runner (the baseline) and then for 1, 2 and 4 workers (`roundtable worker`
processes over Redis, the store on PostgreSQL), it starts RUNS Demo-model runs at once and
prints:

* runs per second (first start to last end), and its ratio to the in-process runner;
* event latency: from the engine emitting an event to a *second studio process* seeing it
  (in-process: to the run's live handle in the same process), p50 and p95, and ratios;
* control latency from another studio process (answer, interject, stop of a run on a
  worker) against the same controls on an in-process run.

Figures, not pass/fail. Redis and PostgreSQL come from scripts/setup_redis.sh and
scripts/setup_postgres.sh (started when missing, as root); the bench makes its own
database and Redis database and drops them afterwards.

    python bench/scale.py                # 100 runs per configuration
    python bench/scale.py --runs 30      # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.runs import RunManager, find_template  # noqa: E402
from studio.spec import Registry  # noqa: E402
from studio.store import Actor, Store  # noqa: E402
from tests.support.services import (  # noqa: E402
    fresh_pg_database,
    fresh_redis_database,
    postgres_admin_url,
    redis_base_url,
)

LOCAL = Actor.local()
TEMPLATE = "research_write_review"
TASK = "Write a short note on why bees matter."


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# -- the in-process baseline ------------------------------------------------------------------
def in_process(db: str, data: Path, runs: int) -> dict[str, Any]:
    manager = RunManager(Store.open(db), Registry.bundled(), data_dir=data)
    name, spec = find_template(TEMPLATE, store=None, registry=manager.registry)
    latencies: list[float] = []
    lock = threading.Lock()

    def follow(handle: Any) -> None:
        seq = 0
        while True:
            new = handle.wait_for_events(seq, timeout=1.0)
            now = time.time()
            with lock:
                latencies.extend(now - float(e["time"]) for e in new if "time" in e)
            if new:
                seq = new[-1]["seq"]
            elif handle.done:
                return

    started = time.monotonic()
    handles = [manager.get(LOCAL, manager.start(LOCAL, spec, TASK, template_name=name, human="never"))
               for _ in range(runs)]
    readers = [threading.Thread(target=follow, args=(h,)) for h in handles]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    elapsed = time.monotonic() - started
    assert all(h is not None and h.status == "finished" for h in handles)
    manager.shutdown()
    for handle in handles:
        manager.delete(LOCAL, handle.run_id)
    return {"runs_per_s": runs / elapsed, "latencies": latencies}


# -- on workers ---------------------------------------------------------------------------------
def follower(db: str, broker: str, expect: int, out: str) -> None:
    """A second studio process: reads every run's live stream, noting when each event shows."""
    from studio.runs._channel import RunChannel, redis_client

    store = Store.open(db)
    redis = redis_client(broker)
    last: dict[str, str] = {}
    ended: set[str] = set()
    latencies: list[float] = []
    deadline = time.monotonic() + 900
    listed = 0.0
    Path(out + ".ready").touch()
    while len(ended) < expect and time.monotonic() < deadline:
        if len(last) < expect and time.monotonic() - listed > 0.5:  # runs started since
            for info in store.list_runs(LOCAL, limit=expect):
                if info.mode == "celery":
                    last.setdefault(RunChannel(redis, info.id).events_key, "0-0")
            listed = time.monotonic()
        streams = {k: v for k, v in last.items() if k not in ended}
        if not streams:
            time.sleep(0.05)
            continue
        for key, entries in redis.xread(streams, block=100) or []:
            now = time.time()
            for entry_id, fields in entries:
                event = json.loads(fields["e"])
                last[key] = entry_id
                latencies.append(now - float(event["time"]))
                if event["type"] == "run_finished" and "status" in event:
                    ended.add(key)
    Path(out).write_text(json.dumps(latencies))


def on_workers(db: str, broker: str, data: Path, runs: int, workers: int,
               scratch: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-m", "studio", "worker", "--broker", broker,
                               "--db-url", db, "--data-dir", str(data), "--concurrency", "32"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(workers)]
    store = Store.open(db)
    try:
        while len(store.live_leases("worker")) < workers:
            time.sleep(0.1)
        out = scratch / f"latency-{workers}.json"
        reader = subprocess.Popen([sys.executable, __file__, "--follow", db, broker, str(runs),
                                   str(out)], cwd=ROOT, env=env)
        while not Path(f"{out}.ready").exists():  # it reads from the first event on
            time.sleep(0.05)
        manager = RunManager(store, Registry.bundled(), data_dir=data, broker=broker)
        name, spec = find_template(TEMPLATE, store=None, registry=manager.registry)
        started = time.monotonic()
        ids = [manager.start(LOCAL, spec, TASK, template_name=name, human="never") for _ in range(runs)]
        for run_id in ids:
            handle = manager.get(LOCAL, run_id)
            if handle is not None:
                handle.wait(600)
        elapsed = time.monotonic() - started
        reader.wait(120)
        statuses = {store.get_run(LOCAL, run_id).status for run_id in ids}
        assert statuses == {"finished"}, statuses
        return {"runs_per_s": runs / elapsed, "latencies": json.loads(out.read_text())}
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(60)
        for run in store.list_runs(LOCAL, limit=10_000):  # the next configuration starts empty
            store.delete_run(LOCAL, run.id)


# -- controls -----------------------------------------------------------------------------------
def controls_in_process(db: str, data: Path) -> dict[str, float]:
    """The same steps as tests.support.studio_side control, on a run in this process."""
    manager = RunManager(Store.open(db), Registry.bundled(), data_dir=data)
    name, spec = find_template("human_in_the_loop", store=None, registry=manager.registry)
    handle = manager.get(LOCAL, manager.start(LOCAL, spec, spec.default_task, template_name=name))
    assert handle is not None

    def until(predicate: Any) -> None:
        while not predicate():
            handle.wait_for_events(handle.last_seq, timeout=0.05)

    def asked(n: int) -> bool:
        return handle.pending is not None and sum(
            e["type"] == "human_input_requested" for e in handle.events_since(0)) >= n

    measured = {}
    until(lambda: asked(1))
    sent = time.monotonic()
    handle.answer("Keep it short, please.")
    until(lambda: any(e["type"] == "human_input_received" for e in handle.events_since(0)))
    measured["answer_seconds"] = time.monotonic() - sent
    until(lambda: asked(2))
    sent = time.monotonic()
    handle.interject("Also mention the demo on Wednesday.")
    handle.answer("")
    until(lambda: any(e["type"] == "interjection" for e in handle.events_since(0)))
    measured["interject_seconds"] = time.monotonic() - sent
    until(lambda: asked(3))
    sent = time.monotonic()
    handle.cancel()
    handle.wait(10)
    measured["stop_seconds"] = time.monotonic() - sent
    manager.shutdown()
    return measured


def controls_across(db: str, broker: str, data: Path, scratch: Path) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    worker = subprocess.Popen([sys.executable, "-m", "studio", "worker", "--broker", broker,
                               "--db-url", db, "--data-dir", str(data)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        store = Store.open(db)
        manager = RunManager(store, Registry.bundled(), data_dir=data, broker=broker)
        name, spec = find_template("human_in_the_loop", store=None, registry=manager.registry)
        run_id = manager.start(LOCAL, spec, spec.default_task, template_name=name)
        out = scratch / "controls.json"
        subprocess.run([sys.executable, "-m", "tests.support.studio_side", "control", "--db", db,
                        "--broker", broker, "--data", str(data), "--run", run_id,
                        "--out", str(out)], cwd=ROOT, env=env, check=True, timeout=300)
        return {k: v for k, v in json.loads(out.read_text()).items() if k.endswith("seconds")}
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--follow", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.follow:
        db, broker, expect, out = args.follow
        follower(db, broker, int(expect), out)
        return
    with fresh_pg_database(postgres_admin_url()) as db, \
            fresh_redis_database(redis_base_url()) as broker, \
            tempfile.TemporaryDirectory(prefix="roundtable-bench-") as tmp:
        scratch = Path(tmp)
        base = in_process(db, scratch / "data", args.runs)
        b50, b95 = percentile(base["latencies"], 0.5), percentile(base["latencies"], 0.95)
        print(f"{args.runs} {TEMPLATE} runs on the Demo model, store on PostgreSQL\n")
        print(f"{'runner':<14}{'runs/s':>9}{'ratio':>8}{'event p50':>12}{'ratio':>8}"
              f"{'event p95':>12}{'ratio':>8}")
        print(f"{'in-process':<14}{base['runs_per_s']:>9.2f}{1:>8.2f}{b50 * 1000:>10.1f}ms"
              f"{1:>8.2f}{b95 * 1000:>10.1f}ms{1:>8.2f}")
        for count in [int(n) for n in args.workers.split(",")]:
            got = on_workers(db, broker, scratch / "data", args.runs, count, scratch)
            p50, p95 = percentile(got["latencies"], 0.5), percentile(got["latencies"], 0.95)
            print(f"{f'{count} worker' + ('s' if count > 1 else ''):<14}"
                  f"{got['runs_per_s']:>9.2f}{got['runs_per_s'] / base['runs_per_s']:>8.2f}"
                  f"{p50 * 1000:>10.1f}ms{p50 / b50:>8.2f}{p95 * 1000:>10.1f}ms{p95 / b95:>8.2f}",
                  flush=True)
        local = controls_in_process(db, scratch / "data")
        remote = controls_across(db, broker, scratch / "data", scratch)
        print("\ncontrol latency (until the run shows it)")
        print(f"{'control':<12}{'in-process':>12}{'other process':>16}{'ratio':>8}")
        for key in ("answer_seconds", "interject_seconds", "stop_seconds"):
            print(f"{key.split('_')[0]:<12}{local[key] * 1000:>10.1f}ms"
                  f"{remote[key] * 1000:>14.1f}ms{remote[key] / local[key]:>8.2f}")


if __name__ == "__main__":
    main()

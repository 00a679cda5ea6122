"""A studio-side process for the scale-out tests and bench: what a second `roundtable ui`
process does through the same RunManager API, without the browser.

    python -m tests.support.studio_side start  --db URL --broker URL --data DIR \\
        --template NAME --task TEXT --count N --expect TOTAL --out FILE [--demo-delay S]
    python -m tests.support.studio_side control --db URL --broker URL --data DIR \\
        --run ID --out FILE
    python -m tests.support.studio_side local --db URL --data DIR --template NAME \\
        --task TEXT --count N --out FILE
    python -m tests.support.studio_side decide --db URL --broker URL --data DIR \\
        --decisions FILE --out FILE

``start`` starts N runs, waits until TOTAL runs exist (the other studio process starts the
rest), then follows every one of them live from its Redis stream -- its own and the other
process's -- and writes {run_id: [events seen live]} to FILE. ``control`` steers a run
another process started: answers, steps in, then stops it, writing what it measured.
``local`` runs N runs in this process (no broker: the embedded runner) and writes their ids.
``decide`` answers code approvals with structured decisions, writing what each question showed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from studio.runs import RunManager, find_template
from studio.spec import Registry
from studio.store import Actor, Store

LOCAL = Actor.local()


def _manager(args: argparse.Namespace) -> RunManager:
    store = Store.open(args.db)
    return RunManager(store, Registry.bundled(), data_dir=Path(args.data),
                      broker=getattr(args, "broker", None),
                      demo_token_delay=getattr(args, "demo_delay", 0.0))


def cmd_local(args: argparse.Namespace) -> None:
    manager = _manager(args)
    name, spec = find_template(args.template, store=None, registry=manager.registry)
    ids = [manager.start(LOCAL, spec, args.task, template_name=name, human="never")
           for _ in range(args.count)]
    for run_id in ids:
        handle = manager.get(LOCAL, run_id)
        assert handle is not None
        handle.wait(args.timeout)
    Path(args.out).write_text(json.dumps({run_id: manager.get(LOCAL, run_id).status  # type: ignore[union-attr]
                                          for run_id in ids}))


def _follow(manager: RunManager, run_id: str, deadline: float) -> list[dict[str, Any]]:
    """Every event of the run from its live stream, from the start to its end."""
    from studio.runs._channel import RunChannel

    channel = RunChannel(manager._redis, run_id)
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        seen.extend(channel.wait_for_events(seen[-1]["seq"] if seen else 0, 1.0))
        if seen and seen[-1]["type"] == "run_finished" and "status" in seen[-1]:
            break
    return seen


def cmd_start(args: argparse.Namespace) -> None:
    manager = _manager(args)
    name, spec = find_template(args.template, store=None, registry=manager.registry)
    for _ in range(args.count):
        manager.start(LOCAL, spec, args.task, template_name=name, human="never")
    deadline = time.monotonic() + args.timeout
    while manager.store.count_runs(LOCAL) < args.expect:
        if time.monotonic() > deadline:
            sys.exit(f"only {manager.store.count_runs(LOCAL)} of {args.expect} runs were started")
        time.sleep(0.1)
    print(f"{args.expect} runs started", flush=True)
    runs = manager.store.list_runs(LOCAL, limit=args.expect)
    seen = {info.id: _follow(manager, info.id, deadline) for info in runs}
    print(f"followed {len(seen)} runs", flush=True)
    Path(args.out).write_text(json.dumps(seen))


def _wait(predicate: Any, deadline: float, what: str) -> Any:
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    sys.exit(f"timed out waiting for {what}")


def cmd_control(args: argparse.Namespace) -> None:
    manager = _manager(args)
    deadline = time.monotonic() + args.timeout
    handle = _wait(lambda: manager.get(LOCAL, args.run), deadline, "the run")

    def events() -> list[dict[str, Any]]:
        return handle.events_since(0)

    def asked(n: int) -> bool:
        return handle.pending is not None and sum(
            e["type"] == "human_input_requested" for e in events()) >= n

    measured: dict[str, float] = {}
    _wait(lambda: asked(1), deadline, "the first question")
    sent = time.monotonic()
    handle.answer("Keep it short, please.")
    _wait(lambda: any(e["type"] == "human_input_received" and e["text"].startswith("Keep it")
                      for e in events()), deadline, "the answer to arrive")
    measured["answer_seconds"] = time.monotonic() - sent
    _wait(lambda: asked(2), deadline, "the second question")
    sent = time.monotonic()
    handle.interject("Also mention the demo on Wednesday.")
    handle.answer("")
    _wait(lambda: any(e["type"] == "interjection" for e in events()), deadline,
          "the interjection to arrive")
    measured["interject_seconds"] = time.monotonic() - sent
    _wait(lambda: asked(3), deadline, "the third question")
    sent = time.monotonic()
    handle.cancel()
    _wait(lambda: handle.done, deadline, "the run to stop")
    measured["stop_seconds"] = time.monotonic() - sent
    measured["status"] = handle.status  # type: ignore[assignment]
    Path(args.out).write_text(json.dumps(measured))


def cmd_decide(args: argparse.Namespace) -> None:
    """Answer the code approvals of runs another process started (``--decisions``: a JSON
    file of {run id: CodeDecision.to_dict()}); write what each question showed here."""
    from studio.engine import CodeDecision

    manager = _manager(args)
    deadline = time.monotonic() + args.timeout
    decisions = json.loads(Path(args.decisions).read_text())
    shown: dict[str, Any] = {}
    for run_id, decision in decisions.items():
        handle = _wait(lambda run_id=run_id: manager.get(LOCAL, run_id), deadline, "the run")
        request = _wait(lambda handle=handle: handle.pending if handle.pending is not None
                        and handle.pending.kind == "code_approval" else None,
                        deadline, "the code approval")
        shown[run_id] = {"agent": request.agent, "prompt": request.prompt,
                         "blocks": [{"code": b.code, "language": b.language}
                                    for b in request.blocks]}
        handle.answer(CodeDecision.from_dict(decision))
        _wait(lambda handle=handle: any(e["type"] == "human_input_received"
                                        for e in handle.events_since(0)),
              deadline, "the decision to reach the run")
    Path(args.out).write_text(json.dumps(shown))


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for command in ("start", "control", "local", "decide"):
        p = sub.add_parser(command)
        p.add_argument("--db", required=True)
        if command != "local":
            p.add_argument("--broker", required=True)
        p.add_argument("--data", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--timeout", type=float, default=300.0)
    for command in ("start", "local"):
        p = sub.choices[command]
        p.add_argument("--template", required=True)
        p.add_argument("--task", required=True)
        p.add_argument("--count", type=int, required=True)
        p.add_argument("--demo-delay", type=float, default=0.0)
    sub.choices["start"].add_argument("--expect", type=int, required=True)
    sub.choices["control"].add_argument("--run", required=True)
    sub.choices["decide"].add_argument("--decisions", required=True)
    args = parser.parse_args()
    {"start": cmd_start, "control": cmd_control, "local": cmd_local,
     "decide": cmd_decide}[args.command](args)


if __name__ == "__main__":
    main()

"""`roundtable serve --broker`: runs go to the Celery workers like the studio's, and the
API follows and controls them there (events from the run's Redis stream)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from studio.store import Actor, Store
from tests.support.processes import wait_for
from tests.support.serve import ServeProcess, SSEStream
from tests.support.workers import Processes

EMAIL = "Draft a short email telling my team that the release moves from Tuesday to Thursday."


def test_serve_hands_runs_to_the_workers(processes: Processes, tmp_path: Path) -> None:
    processes.workers(1, concurrency=4)
    with ServeProcess(["writer_with_critic", "human_in_the_loop"], processes.data,
                      log_path=tmp_path / "serve.log",
                      extra=["--broker", processes.broker, "--db-url", processes.db]) as served:
        assert requests.get(f"{served.url}/health", timeout=30).json()["runner"] == "celery"
        with requests.post(f"{served.url}/v1/chat/completions", stream=True, timeout=60,
                           json={"model": "writer_with_critic", "stream": True, "messages": [
                               {"role": "user", "content": "A haiku about tea"}]}) as answer:
            chunks = [json.loads(line[6:]) for line in answer.iter_lines(decode_unicode=True)
                      if line.startswith("data: {")]
        pieces = [c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"]]
        assert "".join(pieces).startswith("A haiku about tea")

        run = requests.post(f"{served.url}/api/templates/human_in_the_loop/runs",
                            json={"task": EMAIL}, timeout=30).json()
        seen = []
        with SSEStream(f"{served.url}/api/runs/{run['id']}/events") as stream:
            for _id, event in stream:
                seen.append(event)
                if event["type"] == "human_input_requested":
                    break
        answered = requests.post(f"{served.url}/api/runs/{run['id']}/answer",
                                 json={"text": "exit"}, timeout=30)
        assert answered.status_code == 200, answered.text
        with SSEStream(f"{served.url}/api/runs/{run['id']}/events",
                       headers={"Last-Event-ID": str(seen[-1]["seq"])}) as stream:
            seen += [event for _id, event in stream]
        assert seen[-1]["type"] == "run_finished"
        seqs = [e["seq"] for e in seen]
        assert seqs == sorted(set(seqs)) and seqs[0] == 1
    store = Store.open(processes.db)
    try:
        assert wait_for(lambda: store.get_run(Actor.local(), run["id"]).status == "finished", 30)
        assert store.get_run(Actor.local(), run["id"]).source == "api"
    finally:
        store.close()

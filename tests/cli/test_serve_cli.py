"""`roundtable serve` from the command line: mistakes in one line, and Ctrl-C stops the
service, its runs and its entry on the studio's Deploy page."""

from __future__ import annotations

import socket
from pathlib import Path

import requests

from studio.runs import SERVE_INSTANCES
from studio.store import Actor, Store
from tests.support.processes import wait_for
from tests.support.serve import ServeProcess, free_port

LOCAL = Actor.local()


def test_mistakes_are_one_line(roundtable) -> None:
    unknown = roundtable("serve", "writer_with_critc", "--port", str(free_port()))
    assert unknown.returncode == 1
    assert unknown.stderr.count("\n") == 1
    assert "unknown template 'writer_with_critc'" in unknown.stderr
    assert "'writer_with_critic'" in unknown.stderr
    assert roundtable("serve", "brainstorm", "--rate-limit", "0").returncode == 2
    bad_origin = roundtable("serve", "brainstorm", "--cors-origin", "demo.example.org")
    assert bad_origin.returncode == 2 and "https://host[:port]" in bad_origin.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = roundtable("serve", "brainstorm", "--port", str(taken.getsockname()[1]))
    assert busy.returncode == 1 and "pick another with --port" in busy.stderr


def test_ctrl_c_stops_the_service_its_runs_and_its_deploy_entry(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with ServeProcess(["human_in_the_loop"], data, log_path=tmp_path / "serve.log") as served:
        store = Store.open(None, data)
        try:
            entries = store.get_setting(SERVE_INSTANCES, {})
            (entry,) = entries.values()
            assert entry["url"] == served.url and entry["keys_required"] is False
            assert entry["templates"][0]["name"] == "human_in_the_loop"
            run = requests.post(f"{served.url}/api/templates/human_in_the_loop/runs",
                                json={}, timeout=30).json()  # no key needed on loopback
            assert wait_for(lambda: requests.get(f"{served.url}/api/runs/{run['id']}",
                                                 timeout=30).json()["status"] == "waiting", 30)
            assert served.stop() == 0
            assert store.get_run(LOCAL, run["id"]).status == "cancelled"
            assert store.get_setting(SERVE_INSTANCES, {}) == {}
            assert "Roundtable serve: " + served.url in served.log_tail()
        finally:
            store.close()

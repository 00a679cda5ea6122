"""A caller who goes away does not hold a run open: a question nobody answers within
``--answer-timeout`` stops the run (here 0.05 minutes: 3 seconds), over real HTTP."""

from __future__ import annotations

import requests

from tests.support.processes import wait_for

from .conftest import Served

SERVE_OPTIONS = ["--answer-timeout", "0.05"]


def _get(served: Served, path: str) -> dict:
    response = requests.get(f"{served.url}{path}", headers=served.auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_an_unanswered_question_stops_the_run(served: Served) -> None:
    started = requests.post(f"{served.url}/api/templates/human_in_the_loop/runs",
                            json={"task": "Draft a note to the team."}, headers=served.auth,
                            timeout=30)
    assert started.status_code == 201, started.text
    run_id = started.json()["id"]
    assert wait_for(lambda: _get(served, f"/api/runs/{run_id}")["status"] in
                    ("waiting", "cancelled"), 60)
    assert wait_for(lambda: _get(served, f"/api/runs/{run_id}")["status"] == "cancelled", 60)
    stored = _get(served, f"/api/runs/{run_id}/transcript")
    assert stored["run"]["reason"] == "no answer"
    notes = [e["text"] for e in stored["events"] if e["type"] == "notice"]
    assert any(n.startswith("Nobody answered within 3 seconds.") for n in notes), notes
    # the late answer is refused: nobody is waiting any more
    late = requests.post(f"{served.url}/api/runs/{run_id}/answer", json={"text": "Hello"},
                         headers=served.auth, timeout=30)
    assert late.status_code in (404, 409), late.text

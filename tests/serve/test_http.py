"""`roundtable serve` end to end, over real HTTP: the official openai client, an SSE client
that re-attaches, answers and stops sent over HTTP, and the errors a caller sees."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import openai
import pytest
import requests

from studio.store import Actor
from tests.support.oai_server import OAIServer, slow
from tests.support.processes import wait_for
from tests.support.serve import SSEStream

from .conftest import Served

SERVE_OPTIONS = ["--cors-origin", "https://demo.example.org"]
POEM = "Write a four-line poem about a lighthouse keeper's last night on the job."
EMAIL = "Draft a short email telling my team that the release moves from Tuesday to Thursday."


def _client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{served.url}/v1", api_key=served.key, max_retries=0,
                         timeout=60)


def _start(served: Served, template: str, task: str, **body: object) -> dict:
    response = requests.post(f"{served.url}/api/templates/{template}/runs",
                             json={"task": task, **body}, headers=served.auth, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def _run(served: Served, run_id: str) -> dict:
    response = requests.get(f"{served.url}/api/runs/{run_id}", headers=served.auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_openai_client_streams_a_teams_answer(served: Served) -> None:
    client = _client(served)
    assert {"writer_with_critic", "human_in_the_loop"} <= {m.id for m in client.models.list()}
    stream = client.chat.completions.create(
        model="writer_with_critic", messages=[{"role": "user", "content": POEM}], stream=True,
        stream_options={"include_usage": True})
    pieces, roles, usage, run_ids = [], [], None, set()
    for chunk in stream:
        run_ids.add(chunk.id.removeprefix("chatcmpl-"))
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            roles += [choice.delta.role] if choice.delta.role else []
            pieces += [choice.delta.content] if choice.delta.content else []
    answer = "".join(pieces)
    assert roles == ["assistant"] and len(pieces) > 5  # streamed, piece by piece
    assert "lighthouse" in answer.lower() or "steps" in answer.lower()
    assert usage is not None and usage.total_tokens > 0

    whole = client.chat.completions.create(
        model="writer_with_critic", messages=[{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": POEM}])
    assert whole.choices[0].message.content == answer  # the same answer either way
    assert whole.choices[0].finish_reason == "stop"

    (run_id,) = run_ids  # the streamed run is stored like any other, with its answer
    run = _run(served, run_id)
    assert run["status"] == "finished" and run["task"] == POEM
    assert run["summary"] == answer
    assert run["template"] == "Writer with a nested critic"
    stored = served.store.get_run(Actor.local(), run_id)  # what History shows
    assert (stored.source, stored.summary) == ("api", answer)
    assert stored.api_key_id == served.store.api_key_for(served.key).id


def test_an_sse_client_reattaches_with_last_event_id_and_answers_over_http(
        served: Served) -> None:
    run = _start(served, "human_in_the_loop", EMAIL)
    events_url = f"{served.url}{run['links']['events']}"
    seen: list[dict] = []
    with SSEStream(events_url, headers=served.auth) as stream:  # up to the first question
        for event_id, event in stream:
            assert event_id == str(event["seq"])
            seen.append(event)
            if event["type"] == "human_input_requested":
                break
    assert seen[0]["type"] == "run_started" and seen[0]["task"] == EMAIL
    waiting = _run(served, run["id"])
    assert waiting["status"] == "waiting"
    assert waiting["pending"]["kind"] == "reply" and waiting["pending"]["agent"] == "you"

    # answered while nobody listens: the run goes on and its events wait for us
    answer = requests.post(f"{served.url}/api/runs/{run['id']}/answer",
                           json={"text": "Please mention the demo on Wednesday."},
                           headers=served.auth, timeout=30)
    assert answer.status_code == 200, answer.text
    assert wait_for(lambda: _run(served, run["id"])["last_seq"] > seen[-1]["seq"] + 2, 30)

    finished = False
    with SSEStream(events_url, headers={**served.auth,
                                        "Last-Event-ID": str(seen[-1]["seq"])}) as stream:
        for _event_id, event in stream:
            seen.append(event)
            if event["type"] == "human_input_requested":  # asked again: end the chat
                requests.post(f"{served.url}/api/runs/{run['id']}/answer",
                              json={"text": "exit"}, headers=served.auth,
                              timeout=30).raise_for_status()
            finished = event["type"] == "run_finished"
    assert finished
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))  # nothing lost or twice
    received = [e for e in seen if e["type"] == "human_input_received"]
    assert received[0]["text"] == "Please mention the demo on Wednesday."
    first_answer = seen.index(received[0])
    assert any(e["type"] == "message" and e["sender"] == "assistant"
               for e in seen[first_answer:])  # the answer moved the run on

    stored = requests.get(f"{served.url}/api/runs/{run['id']}/transcript",
                          headers=served.auth, timeout=30).json()
    by_seq = {e["seq"]: e for e in seen}
    assert stored["events"] and all(by_seq[e["seq"]] == e for e in stored["events"])
    assert stored["run"]["status"] == "finished"
    text = requests.get(f"{served.url}/api/runs/{run['id']}/transcript",
                        params={"format": "text"}, headers=served.auth, timeout=30)
    assert text.headers["content-type"].startswith("text/plain")
    assert f"Task: {EMAIL}" in text.text


def test_a_stop_over_http_ends_the_run_within_two_seconds(served: Served,
                                                         oai: OAIServer) -> None:
    oai.push(slow(120.0))  # the model would take two minutes to answer
    before = len(oai.chat_requests())
    run = _start(served, "slow-team", "Take your time.")
    assert wait_for(lambda: len(oai.chat_requests()) > before, 30)  # the model was asked
    started = time.monotonic()
    stopped = requests.post(f"{served.url}/api/runs/{run['id']}/stop", headers=served.auth,
                            timeout=30)
    elapsed = time.monotonic() - started
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "cancelled"
    assert elapsed < 2.0, f"the stop took {elapsed:.2f} s"
    again = requests.post(f"{served.url}/api/runs/{run['id']}/stop", headers=served.auth,
                          timeout=30)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    refused = requests.post(f"{served.url}/api/runs/{run['id']}/interject",
                            json={"text": "hello?"}, headers=served.auth, timeout=30)
    assert refused.status_code == 409 and "cancelled" in refused.json()["error"]["message"]


def test_a_wrong_template_is_a_404_that_names_the_served_ones(served: Served) -> None:
    response = requests.post(f"{served.url}/api/templates/writer_with_critics/runs",
                             json={"task": "hello"}, headers=served.auth, timeout=30)
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "template_not_found"
    assert "'writer_with_critics' is not served here" in error["message"]
    assert "Did you mean 'writer_with_critic'?" in error["message"]
    with pytest.raises(openai.NotFoundError) as raised:
        _client(served).chat.completions.create(
            model="no-such-team", messages=[{"role": "user", "content": "hello"}])
    assert "model 'no-such-team' does not exist here" in str(raised.value)
    assert "human_in_the_loop" in str(raised.value)
    missing = requests.get(f"{served.url}/api/runs/0123456789abcdef", headers=served.auth,
                           timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "run_not_found"


def test_bad_requests_say_what_is_wrong(served: Served) -> None:
    not_allowed = requests.post(f"{served.url}/api/templates/writer_with_critic/runs",
                                json={"task": "x", "model": "gpt-17"}, headers=served.auth,
                                timeout=30)
    assert not_allowed.status_code == 400
    assert "choose one of: template, demo" in not_allowed.json()["error"]["message"]
    no_user = requests.post(f"{served.url}/v1/chat/completions", headers=served.auth,
                            timeout=30, json={
        "model": "writer_with_critic", "messages": [{"role": "system", "content": "hi"}]})
    assert no_user.status_code == 400
    assert "last user message is the team's task" in no_user.json()["error"]["message"]
    unknown_field = requests.post(f"{served.url}/api/templates/writer_with_critic/runs",
                                  json={"tsak": "x"}, headers=served.auth, timeout=30)
    assert unknown_field.status_code == 400
    assert "tsak" in unknown_field.json()["error"]["message"]


def test_keys_are_required_checked_revoked_and_rate_limited(served: Served) -> None:
    url = f"{served.url}/api/templates"
    missing = requests.get(url, timeout=30)
    assert missing.status_code == 401
    assert "needs an API key" in missing.json()["error"]["message"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = requests.get(url, headers={"Authorization": "Bearer rt_not-a-key"}, timeout=30)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=f"{served.url}/v1", api_key="rt_wrong", max_retries=0
                      ).models.list()
    assert requests.get(f"{served.url}/health", timeout=30).json()["keys_required"] is True

    record, key = served.store.create_api_key(Actor.local(), "burst", rate_limit=3)
    headers = {"Authorization": f"Bearer {key}"}
    assert [requests.get(url, headers=headers, timeout=30).status_code
            for _ in range(3)] == [200, 200, 200]
    limited = requests.get(url, headers=headers, timeout=30)
    assert limited.status_code == 429
    assert "3 requests a minute" in limited.json()["error"]["message"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 20
    assert requests.get(url, headers=served.auth, timeout=30).status_code == 200  # per key

    served.store.revoke_api_key(Actor.local(), record.id)
    revoked = requests.get(url, headers=headers, timeout=30)
    assert revoked.status_code == 401 and "revoked" in revoked.json()["error"]["message"]


def test_the_models_page_runs_another_template_on_a_served_team(served: Served,
                                                                tmp_path: Path) -> None:
    """What the Models page does (save a preset with the key pasted, press Test), then what
    the Playground does (run another template on that model): the team answers as a model."""
    from studio.app._models import check_model, save_from_form
    from studio.runs import RunManager
    from studio.spec import Registry, load_bundled_template

    store, local = served.store, Actor.local()
    config = save_from_form(store, local, preset="roundtable", name="writer-team",
                            base_url=f"{served.url}/v1", model="writer_with_critic",
                            api_version="", key_env="", key_value=served.key,
                            registry=Registry.bundled())
    assert "writer-team: OK" in check_model(store, local, config)

    before = {r.id for r in store.list_runs(local, source="api", limit=500)}
    manager = RunManager(store, Registry.bundled(), data_dir=tmp_path)
    try:
        run_id = manager.start(local, load_bundled_template("teacher_student"),
                               "Why is the sky blue?", template_name="Teacher and student",
                               model="writer-team", human="never")
        handle = manager.get(local, run_id)
        assert handle is not None and handle.wait(120)
        assert handle.status == "finished", handle.error
    finally:
        manager.shutdown()
    replies = [e.content for e in store.run_events(local, run_id)
               if e.kind == "message" and e.sender == "teacher"]
    served_runs = [r for r in store.list_runs(local, source="api", limit=500)
                   if r.id not in before]
    assert replies and len(served_runs) >= len(replies)  # one served run per model call
    answers = {r.summary for r in served_runs}
    assert all(reply in answers for reply in replies)  # the teacher spoke the team's answers


def test_the_deploy_pages_examples_work_as_written(served: Served) -> None:
    from studio.app._deploy import examples

    shown = examples(served.url, "writer_with_critic", POEM, key=served.key)
    started = subprocess.run(["bash", "-c", shown["curl"].split("curl -N")[0]],
                             capture_output=True, text=True, timeout=60, check=True)
    run = json.loads(started.stdout)
    assert run["template"] == "Writer with a nested critic" and run["task"] == POEM
    events = shown["curl"].split("# or ask")[0].split("\n")
    follow = next(line for line in events if line.startswith("curl -N"))
    follow += events[events.index(follow) + 1]  # its auth line
    streamed = subprocess.run(["bash", "-c", follow.replace("RUN_ID", run["id"]).replace(
        "\\", "")], capture_output=True, text=True, timeout=60, check=True)
    assert '"type": "run_finished"' in streamed.stdout
    asked = subprocess.run(["bash", "-c", "curl -s " + shown["curl"].split("\ncurl -s ")[-1]],
                           capture_output=True, text=True, timeout=60, check=True)
    assert json.loads(asked.stdout)["choices"][0]["message"]["content"]
    printed = subprocess.run([sys.executable, "-c", shown["python"]], capture_output=True,
                             text=True, timeout=60, check=True)
    assert printed.stdout.strip() == json.loads(asked.stdout)["choices"][0]["message"]["content"]


def test_browsers_may_call_from_the_configured_origin_only(served: Served) -> None:
    url = f"{served.url}/v1/chat/completions"
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = requests.options(url, headers={"Origin": "https://demo.example.org",
                                             **preflight}, timeout=30)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://demo.example.org"
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()
    other = requests.options(url, headers={"Origin": "https://elsewhere.example", **preflight},
                             timeout=30)
    assert "Access-Control-Allow-Origin" not in other.headers
    listed = requests.get(f"{served.url}/api/templates", timeout=30, headers={
        **served.auth, "Origin": "https://demo.example.org"})
    assert listed.headers["Access-Control-Allow-Origin"] == "https://demo.example.org"


def test_interject_pause_and_resume_over_http(served: Served) -> None:
    run = _start(served, "human_in_the_loop", EMAIL)
    url = f"{served.url}/api/runs/{run['id']}"

    def status() -> str:
        return _run(served, run["id"])["status"]

    def post(action: str, **body: object) -> requests.Response:
        response = requests.post(f"{url}/{action}", json=body or None, headers=served.auth,
                                 timeout=30)
        assert response.status_code == 200, response.text
        return response

    assert wait_for(lambda: status() == "waiting", 30)
    nothing = requests.post(f"{url}/interject", json={"text": ""}, headers=served.auth,
                            timeout=30)
    assert nothing.status_code == 400  # an empty interjection says nothing
    post("interject", text="Also mention the demo on Wednesday.")
    post("pause")
    post("answer", text="")  # let the assistant go on... once resumed
    assert wait_for(lambda: status() == "paused", 30)
    post("resume")
    assert wait_for(lambda: status() == "waiting", 30)  # asked again: the run went on
    events = requests.get(f"{url}/transcript", headers=served.auth, timeout=30).json()["events"]
    interjection = next(e for e in events if e["type"] == "interjection")
    assert interjection["text"] == "Also mention the demo on Wednesday."
    assert events.index(interjection) < max(i for i, e in enumerate(events)
                                            if e["type"] == "message")
    post("stop")
    assert status() == "cancelled"
    wrong = requests.post(f"{url}/answer", json={"text": "late"}, headers=served.auth,
                          timeout=30)
    assert wrong.status_code == 409


PRIMES = "Find the prime numbers below 100, then tell me how many there are and what they add up to."


def _until(served: Served, run_id: str, kind: str) -> dict:
    assert wait_for(lambda: (_run(served, run_id)["pending"] or {}).get("kind") == kind, 60), \
        _run(served, run_id)
    return _run(served, run_id)["pending"]


def test_code_approval_is_a_structured_decision_over_http(served: Served) -> None:
    run = _start(served, "approved-code", PRIMES)
    asked = _until(served, run["id"], "code_approval")
    assert asked["agent"] == "user" and asked["code"][0]["language"] == "python"
    assert "def " in asked["code"][0]["code"] or "print" in asked["code"][0]["code"]
    answer = f"{served.url}/api/runs/{run['id']}/answer"
    typed = requests.post(answer, json={"text": "yes"}, headers=served.auth, timeout=30)
    assert typed.status_code == 400  # no typed word is taken for consent
    assert "answer with 'decision'" in typed.json()["error"]["message"]
    approved = requests.post(answer, json={"decision": {"action": "approve"}},
                             headers=served.auth, timeout=30)
    assert approved.status_code == 200, approved.text
    _until(served, run["id"], "reply")  # the code ran; the user proxy asks at the end
    requests.post(answer, json={"text": "exit"}, headers=served.auth,
                  timeout=30).raise_for_status()
    assert wait_for(lambda: _run(served, run["id"])["status"] == "finished", 60)
    events = requests.get(f"{served.url}/api/runs/{run['id']}/transcript",
                          headers=served.auth, timeout=30).json()["events"]
    decision = next(e for e in events if e["type"] == "human_input_received")
    assert decision["decision"] == {"action": "approve", "reason": "", "code": ""}
    executed = next(e for e in events if e["type"] == "code_executed")
    assert executed["exit_code"] == 0 and "25" in executed["output"]

    refused = _start(served, "approved-code", PRIMES)
    _until(served, refused["id"], "code_approval")
    requests.post(f"{served.url}/api/runs/{refused['id']}/answer", headers=served.auth,
                  timeout=30, json={"decision": {"action": "refuse",
                                                 "reason": "no loops today"}}).raise_for_status()
    transcript = f"{served.url}/api/runs/{refused['id']}/transcript"

    def told() -> bool:  # the agents read why their code did not run
        events = requests.get(transcript, headers=served.auth, timeout=30).json()["events"]
        return any("no loops today" in ((e.get("message") or {}).get("content") or "")
                   for e in events if e["type"] == "message")

    assert wait_for(told, 30)
    requests.post(f"{served.url}/api/runs/{refused['id']}/stop", headers=served.auth,
                  timeout=30).raise_for_status()
    events = requests.get(transcript, headers=served.auth, timeout=30).json()["events"]
    assert not any(e["type"] == "code_executed" for e in events)

"""`roundtable run` against a real OpenAI-compatible server on loopback: the request timeout
and retry budget options, and Ctrl-C while the model is silent."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from studio.store import Actor, Store
from tests.support.oai_server import OAIServer, slow

from .conftest import ROOT, cli_command, cli_env

LOCAL = Actor.local()


def remote_template(tmp_path: Path, base_url: str, **model: object) -> Path:
    template = {
        "format": 1, "name": "remote",
        "models": {"main": {"provider": "openai_compatible", "base_url": base_url,
                            "model": "test-model", **model}},
        "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never"},
                   {"name": "assistant", "model": "main"}],
        "pattern": {"kind": "two_agent", "starter": "user", "max_turns": 1,
                    "edges": [{"source": "user", "target": "assistant"}]},
    }
    path = tmp_path / "remote.json"
    path.write_text(json.dumps(template))
    return path


def test_timeout_and_retries_options_bound_the_wait_on_a_silent_server(roundtable, tmp_path):
    with OAIServer() as server:
        server.push(*(slow(30) for _ in range(4)))
        path = remote_template(tmp_path, server.base_url, timeout=600, retries=5)
        result = roundtable("run", str(path), "--task", "hi", "--human", "never",
                            "--timeout", "0.5", "--retries", "1")
        attempts = len(server.chat_requests())
    assert result.returncode == 1
    error = result.stderr.strip()
    assert len(error.splitlines()) == 1 and error.startswith("roundtable: run failed:")
    assert "did not answer within 0.5 s" in error and "gave up after 2 attempts" in error
    assert attempts == 2


def test_bad_timeout_or_retries_is_a_usage_error(roundtable):
    for option, value in (("--timeout", "0"), ("--timeout", "-3"), ("--retries", "11")):
        result = roundtable("run", "tool_helper", option, value)
        assert result.returncode == 2 and option in result.stderr


def test_ctrl_c_while_the_model_is_silent_exits_within_2_s(data_dir, tmp_path):
    with OAIServer() as server:
        server.push(slow(60))
        path = remote_template(tmp_path, server.base_url)
        process = subprocess.Popen(
            cli_command("run", str(path), "--task", "hi", "--human", "never",
                        "--data-dir", str(data_dir)),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=ROOT)
        try:
            server.wait_for_requests(1, timeout=60)  # the model call is outstanding
            interrupted = time.monotonic()
            process.send_signal(signal.SIGINT)
            process.wait(timeout=30)  # from the signal to the exit (its output is small)
            took = time.monotonic() - interrupted
            out, err = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert process.returncode == 130, err
    assert took < 2.0, f"Ctrl-C took {took:.1f} s"
    assert err.strip().startswith("roundtable: cancelled") and len(err.strip().splitlines()) == 1
    (run,) = Store.open(data_dir=data_dir).list_runs(LOCAL)
    assert run.status == "cancelled"

"""The OpenAI-compatible client against llama-cpp-python's own server (``python -m
llama_cpp.server``) running the bundled SmolLM2 GGUF on loopback: the real third-party server
that issue 12 was seen on. Needs the ``local`` extra (scripts/install_local_model.sh) and the
server's dependencies (the ``dev`` extra); without them these tests fail saying so."""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.engine import Message, ModelError, ModelRequest, OpenAIChatModel
from studio.engine.models._local import default_gguf_path, local_model_available

pytestmark = pytest.mark.local_model

CALCULATOR = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "required": ["expression"],
                   "properties": {"expression": {"type": "string"}}}}}
ASK = (Message(role="user", content="What is 6 times 7? Use the calculator."),)
SHORT = {"max_tokens": 16, "temperature": 0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/models", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ok, why = local_model_available()
    missing = [m for m in ("fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
               if importlib.util.find_spec(m) is None]
    if not ok or missing:
        pytest.fail(f"llama-cpp-python's server cannot run here ({why if not ok else ''}"
                    f"{' missing: ' + ', '.join(missing) if missing else ''}): run "
                    "scripts/install_local_model.sh and install the dev extra", pytrace=False)
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("llama-server")) / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_gguf_path()),
               "--model_alias", "smollm2", "--chat_format", "chatml-function-calling",
               "--n_threads", "1", "--n_ctx", "1024", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_streamed_tool_call_keeps_the_name_llama_cpp_repeats_in_every_chunk(server: str) -> None:
    model = OpenAIChatModel("smollm2", base_url=server, max_retries=0)
    request = ModelRequest(messages=ASK, tools=(CALCULATOR,), settings=SHORT,
                           tool_choice={"type": "function", "function": {"name": "calculator"}})
    response = model.complete(request, on_token=lambda _t: None)
    (call,) = response.tool_calls
    assert call.name == "calculator"  # not "calculatorcalculator..."
    assert call.id.startswith("call_") and call.arguments.lstrip().startswith("{")
    assert response.finish_reason == "tool_calls"


def test_a_failure_after_http_200_is_an_error_and_the_next_call_works(server: str) -> None:
    # llama-cpp-python cannot stream an automatic tool choice: it answers 200, then its
    # handler raises and the event stream ends empty.
    model = OpenAIChatModel("smollm2", base_url=server, max_retries=0)
    with pytest.raises(ModelError) as caught:
        model.complete(ModelRequest(messages=ASK, tools=(CALCULATOR,), tool_choice="auto",
                                    settings=SHORT), on_token=lambda _t: None)
    assert caught.value.kind == "server"
    assert "ended before the model finished (no finish reason, before anything arrived)" \
        in str(caught.value)
    tokens: list[str] = []
    response = model.complete(ModelRequest(messages=(Message(role="user", content="Say hi."),),
                                           settings=SHORT), on_token=tokens.append)
    assert tokens and "".join(tokens) == response.content
    assert response.finish_reason in ("stop", "length")


def test_a_plain_answer_not_streamed(server: str) -> None:
    model = OpenAIChatModel("smollm2", base_url=server, max_retries=0)
    response = model.complete(ModelRequest(messages=(Message(role="user", content="Say hi."),),
                                           settings=SHORT))
    assert response.content and response.content.strip()
    assert response.usage.completion_tokens > 0 and response.model == "smollm2"
    assert response.finish_reason in ("stop", "length")

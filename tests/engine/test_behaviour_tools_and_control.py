"""ENGINE_BEHAVIOUR.md cases 24-26 (tools) and 38-40 (model failures, streaming, cancel) at
the agent level, plus interjection and pause from another thread."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Annotated

import pytest

from studio.engine import (
    ConversableAgent,
    FunctionModel,
    GroupChat,
    GroupChatManager,
    HumanInput,
    Mailbox,
    ModelError,
    RunControl,
    ScriptedModel,
    StopReason,
    Tool,
    ToolCall,
    ToolDefinitionError,
    events,
)
from studio.engine._control import Cancelled


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def agent(name: str, **kw) -> ConversableAgent:
    kw.setdefault("human_input", HumanInput.NEVER)
    return ConversableAgent(name, **kw)


def test_case_24_tool_call_result_goes_back_to_the_model():
    model = ScriptedModel([[ToolCall(id="call_9", name="add", arguments='{"a": 1, "b": 2}')],
                           "It is 3. TERMINATE"])
    assistant = agent("assistant", model=model, tools=[add])
    user = agent("user", tools_for_execution=[add])
    seen: list[events.Event] = []
    result = user.initiate_chat(assistant, "1+2?", control=RunControl(on_event=seen.append))
    tool_msg = result.history[2]
    assert tool_msg.role == "tool" and tool_msg.tool_call_id == "call_9" and tool_msg.content == "3"
    second = model.requests[1].messages
    assert second[-1].role == "tool" and second[-1].tool_call_id == "call_9"
    assert model.requests[0].tools[0]["function"]["name"] == "add"
    kinds = [e.type for e in seen]
    assert kinds.index("tool_call") < kinds.index("tool_result")


def test_case_25_tool_errors_become_messages():
    def boom(x: Annotated[str, "anything"]) -> str:
        """Always fails."""
        raise RuntimeError("it broke")

    calls = [ToolCall(id="c1", name="boom", arguments='{"x": "y"}'),
             ToolCall(id="c2", name="nope", arguments="{}"),
             ToolCall(id="c3", name="boom", arguments="{not json"),
             ToolCall(id="c4", name="boom", arguments='{"y": 1}')]
    model = ScriptedModel([calls, "ok TERMINATE"])
    assistant = agent("assistant", model=model, tools=[boom])
    user = agent("user", tools_for_execution=[boom])
    result = user.initiate_chat(assistant, "go")
    tool_msgs = {m.tool_call_id: m.content for m in result.history if m.role == "tool"}
    assert tool_msgs["c1"] == "Error: it broke"
    assert tool_msgs["c2"] == "Error: Function nope not found."
    assert "not valid JSON" in tool_msgs["c3"]
    assert "valid JSON" in tool_msgs["c4"] and "x" in tool_msgs["c4"]
    assert result.stop_reason == StopReason.TERMINATION


def test_case_26_schema_from_annotated_and_docstring():
    def search(query: Annotated[str, "What to look for"], limit: int = 5) -> list[str]:
        """Search the notes.

        Args:
            limit: How many results at most.
        """
        return []

    tool = Tool.from_function(search)
    params = tool.schema["function"]["parameters"]
    assert tool.schema["function"]["description"] == "Search the notes."
    assert params["required"] == ["query"]
    assert params["properties"]["query"] == {"type": "string", "description": "What to look for"}
    assert params["properties"]["limit"]["description"] == "How many results at most."
    assert params["properties"]["limit"]["type"] == "integer"

    def undocumented(x: int) -> int:
        """No args section."""
        return x

    with pytest.raises(ToolDefinitionError, match="'x' has no description"):
        Tool.from_function(undocumented)


def test_async_tools_work_in_a_sync_run():
    async def slow_add(a: int, b: int) -> int:
        """Add later.

        Args:
            a: first
            b: second
        """
        await asyncio.sleep(0.01)
        return a + b

    tool = Tool.from_function(slow_add)
    assert tool.invoke(json.dumps({"a": 2, "b": 5})) == ("7", False)


def test_case_38_failures_and_usage_per_agent():
    a = agent("a", model=ScriptedModel(["x1", "x2"]), max_consecutive_auto_reply=5)
    b = agent("b", model=ScriptedModel(["y1", "y2 TERMINATE"]))
    result = a.initiate_chat(b, "go")
    by_agent = result.usage["by_agent"]
    assert by_agent["a"]["calls"] == 1 and by_agent["b"]["calls"] == 2
    assert result.usage["total"]["calls"] == 3

    auth = ModelError("the API key was rejected (401): set OPENAI_API_KEY", kind="auth", status=401)
    seen: list[events.Event] = []
    model = ScriptedModel([auth, "never reached"])
    b = agent("b", model=model)
    result = agent("a").initiate_chat(b, "go", control=RunControl(on_event=seen.append))
    assert result.stop_reason == StopReason.ERROR and "API key" in result.error
    assert len(model.requests) == 1
    assert any(isinstance(e, events.Error) and "401" in e.text for e in seen)


def test_case_39_streaming_tokens_in_order_then_message():
    seen: list[events.Event] = []
    text = "Streaming works nicely here. TERMINATE"
    b = agent("b", model=ScriptedModel([text]), stream=True)
    agent("a").initiate_chat(b, "go", control=RunControl(on_event=seen.append))
    tokens = [e for e in seen if isinstance(e, events.TokenDelta)]
    assert len(tokens) > 3 and "".join(t.delta for t in tokens) == text
    final = next(e for e in seen if isinstance(e, events.MessageSent) and e.sender == "b")
    assert seen.index(final) > seen.index(tokens[-1]) and final.message.content == text


def slow_model(delay: float = 0.05) -> FunctionModel:
    """Streams a long reply slowly, honouring cancel between tokens (like a real stream)."""

    class Slow(FunctionModel):
        def complete(self, request, *, cancel=None, on_token=None):
            for _ in range(200):
                if cancel is not None and cancel.wait(delay):
                    raise Cancelled()
                if on_token:
                    on_token("word ")
            return super().complete(request, cancel=cancel)

    return Slow(lambda req: "word " * 200)


def test_case_40_cancel_mid_stream_keeps_messages():
    seen: list[events.Event] = []
    control = RunControl(on_event=seen.append)
    b = agent("b", model=ScriptedModel(["first answer"]))
    a = agent("a", model=slow_model(), stream=True)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", a.initiate_chat(b, "go", control=control)))
    thread.start()
    deadline = time.monotonic() + 5
    while not any(isinstance(e, events.TokenDelta) and e.agent == "a" for e in seen):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    cancelled_at = time.monotonic()
    control.cancel()
    thread.join(2)
    assert not thread.is_alive() and time.monotonic() - cancelled_at < 1.0
    result = box["r"]
    assert result.stop_reason == StopReason.CANCELLED
    assert [m.content for m in result.history] == ["go", "first answer"]
    assert isinstance(seen[-1], events.ChatFinished) and seen[-1].reason == "cancelled"


def test_cancel_while_waiting_for_the_human():
    mailbox = Mailbox()
    control = RunControl(human=mailbox)
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel(["hello"]))
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", user.initiate_chat(bot, "hi", control=control)))
    thread.start()
    deadline = time.monotonic() + 5
    while mailbox.pending is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    control.cancel()
    thread.join(2)
    assert box["r"].stop_reason == StopReason.CANCELLED


def test_mailbox_timeout_gives_default():
    mailbox = Mailbox(timeout=0.2, default="exit")
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel(["hello"]))
    result = user.initiate_chat(bot, "hi", control=RunControl(human=mailbox))
    assert result.stop_reason == StopReason.HUMAN_EXIT


def test_interjection_is_delivered_before_the_next_turn():
    control = RunControl()
    seen_by_b: list[list[str]] = []

    def b_reply(request):
        seen_by_b.append([m.content for m in request.messages])
        if len(seen_by_b) == 1:
            control.interject("please be brief")
        return "ok" if len(seen_by_b) < 2 else "brief. TERMINATE"

    a = agent("a", model=ScriptedModel(["next"]))
    b = agent("b", model=FunctionModel(b_reply))
    result = a.initiate_chat(b, "start", control=control)
    assert "please be brief" in seen_by_b[1]
    human = [m for m in result.history if m.meta.get("interjection")]
    assert human and human[0].name == "human"


def test_group_interjection_joins_the_log_before_selection():
    control = RunControl()
    seen: list[events.Event] = []
    control._on_event = seen.append

    def first(request):
        control.interject("Bob, over to you")
        return "alice speaks"

    alice = agent("Alice", model=FunctionModel(first))
    bob = agent("Bob", model=ScriptedModel(["bob here TERMINATE"]))
    user = agent("user")
    picks: list[str] = []

    def select(request):
        picks.append(request.messages[-2].content)
        return "Bob" if "Bob, over" in request.messages[-2].content else "Alice"

    chat = GroupChat([user, alice, bob], max_round=5)
    user.initiate_chat(GroupChatManager(chat, model=FunctionModel(select)), "task", control=control)
    contents = [m.content for m in chat.messages]
    assert contents.index("Bob, over to you") == contents.index("alice speaks") + 1
    assert contents[-1] == "bob here TERMINATE"
    assert any(isinstance(e, events.Interjection) for e in seen)


def test_pause_and_resume_between_turns():
    seen: list[events.Event] = []
    control = RunControl(on_event=seen.append)
    control.pause()
    a = agent("a")
    b = agent("b", model=ScriptedModel(["done TERMINATE"]))
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", a.initiate_chat(b, "go", control=control)))
    thread.start()
    deadline = time.monotonic() + 5
    while not any(isinstance(e, events.RunPaused) for e in seen):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not any(isinstance(e, events.MessageSent) and e.sender == "b" for e in seen)
    control.resume()
    thread.join(2)
    assert box["r"].stop_reason == StopReason.TERMINATION
    assert any(isinstance(e, events.RunResumed) for e in seen)

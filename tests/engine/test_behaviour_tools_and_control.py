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
from tests.support.processes import wait_for


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def in_thread(start) -> tuple[threading.Thread, dict]:
    """Run ``start()`` (a chat) on another thread; its result lands in ``box["r"]``."""
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", start()))
    thread.start()
    return thread, box


def wait_until(predicate, timeout: float = 20.0) -> None:
    """Wait for state; the bound only stops a broken test (a loaded CI machine is slow)."""
    assert wait_for(predicate, timeout), "timed out waiting"


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
    thread, box = in_thread(lambda: a.initiate_chat(b, "go", control=control))
    wait_until(lambda: any(isinstance(e, events.TokenDelta) and e.agent == "a" for e in seen))
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
    thread, box = in_thread(lambda: user.initiate_chat(bot, "hi", control=control))
    wait_until(lambda: mailbox.pending is not None)
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
    thread, box = in_thread(lambda: a.initiate_chat(b, "go", control=control))
    wait_until(lambda: any(isinstance(e, events.RunPaused) for e in seen))
    assert not any(isinstance(e, events.MessageSent) and e.sender == "b" for e in seen)
    control.resume()
    thread.join(2)
    assert box["r"].stop_reason == StopReason.TERMINATION
    assert any(isinstance(e, events.RunResumed) for e in seen)


# -- found in review: each of these once failed ---------------------------------------------
def test_interjection_waits_until_pending_tool_calls_are_answered():
    control = RunControl()

    def calls_tool(request):
        if len(calls_tool.seen) == 0:
            control.interject("also, be quick")
            calls_tool.seen.append(1)
            return [ToolCall(id="call_1", name="add", arguments='{"a": 1, "b": 2}')]
        return "3. TERMINATE"

    calls_tool.seen = []
    assistant = agent("assistant", model=FunctionModel(calls_tool), tools=[add])
    user = agent("user", tools_for_execution=[add])
    result = user.initiate_chat(assistant, "1+2?", control=control)
    roles = [(m.role, m.content) for m in result.history]
    call_at = next(i for i, m in enumerate(result.history) if m.tool_calls)
    assert roles[call_at + 1] == ("tool", "3")
    assert ("user", "also, be quick") in roles[call_at + 2:]


def test_group_interjection_waits_for_tool_results():
    control = RunControl()

    def caller_reply(request):
        if not caller_reply.done:
            caller_reply.done = True
            control.interject("hurry")
            return [ToolCall(id="t1", name="add", arguments='{"a": 2, "b": 2}')]
        return "four TERMINATE"

    caller_reply.done = False
    caller = agent("caller", model=FunctionModel(caller_reply))
    bystander = agent("bystander", model=ScriptedModel(["hm"], then="hm"))
    executor = agent("executor", tools_for_execution=[add])
    chat = GroupChat([caller, bystander, executor], max_round=8, speaker_selection="round_robin")
    caller.initiate_chat(GroupChatManager(chat), "go", control=control)
    call_at = next(i for i, m in enumerate(chat.messages) if m.tool_calls)
    assert chat.messages[call_at + 1].role == "tool" and chat.messages[call_at + 1].content == "4"
    assert chat.messages[call_at + 2].content == "hurry"


def test_unexpected_errors_end_the_chat_with_a_reason_and_chat_finished():
    def broken(request):
        raise KeyError("choices")

    seen: list[events.Event] = []
    result = agent("a").initiate_chat(agent("b", model=FunctionModel(broken)), "go",
                                      control=RunControl(on_event=seen.append))
    assert result.stop_reason == StopReason.ERROR and "KeyError" in result.error
    assert isinstance(seen[-1], events.ChatFinished) and seen[-1].reason == "error"
    assert any(isinstance(e, events.Error) for e in seen)


def test_cancel_during_the_reflection_summary():
    control = RunControl()
    seen: list[events.Event] = []
    control._on_event = seen.append

    def model(request):
        if request.purpose == "summary":
            control.cancel()
            raise Cancelled()
        return "done TERMINATE"

    result = agent("a").initiate_chat(agent("b", model=FunctionModel(model)), "go",
                                      summary_method="reflection", control=control)
    assert result.stop_reason == StopReason.CANCELLED
    assert isinstance(seen[-1], events.ChatFinished) and seen[-1].reason == "cancelled"


def test_bad_summary_method_is_refused_before_anything_runs():
    model = ScriptedModel(["x"])
    with pytest.raises(Exception, match="summary_method"):
        agent("a").initiate_chat(agent("b", model=model), "go", summary_method="refelction")
    assert model.requests == []


def test_mailbox_never_carries_a_late_answer_to_the_next_question():
    # no timeout here: the answer below must land on the question it is meant for, however slow
    # the machine (with a short timeout the question could expire first and the test would race)
    mailbox = Mailbox()
    assert mailbox.put("too early") is False
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel(["first", "second"]))
    control = RunControl(human=mailbox)
    thread, box = in_thread(lambda: user.initiate_chat(bot, "hi", control=control))
    wait_until(lambda: mailbox.pending is not None)
    assert mailbox.put("exit")
    thread.join(20)
    assert box["r"].stop_reason == StopReason.HUMAN_EXIT
    assert box["r"].human_inputs == ["exit"]
    assert mailbox.put("late") is False


def test_an_answer_that_comes_after_the_timeout_is_refused():
    from studio.engine import HumanInputRequest
    from studio.engine._control import CancelToken

    mailbox = Mailbox(timeout=0.05, default="(no answer)")
    request = HumanInputRequest(agent="user", prompt="?")
    assert mailbox.ask(request, CancelToken()) == "(no answer)"  # nobody answered
    assert mailbox.pending is None and mailbox.put("late") is False
    # the next question gets its own answer, not the late one
    mailbox.timeout = None
    thread, box = in_thread(lambda: mailbox.ask(request, CancelToken()))
    wait_until(lambda: mailbox.pending is not None)
    assert mailbox.put("mine")
    thread.join(20)
    assert box["r"] == "mine"


def test_console_human_honours_cancel_and_timeout():
    from studio.engine import ConsoleHuman, HumanInputRequest
    from studio.engine._control import CancelToken

    blocked = threading.Event()

    def never_answers(prompt):
        blocked.wait(10)
        return "too late"

    human = ConsoleHuman(never_answers, timeout=0.3, default="(default)")
    assert human.ask(HumanInputRequest(agent="user", prompt="?"), CancelToken()) == "(default)"
    assert not blocked.is_set()  # it gave the default without waiting for the blocked read
    token = CancelToken()
    threading.Timer(0.2, token.set).start()
    with pytest.raises(Cancelled):
        ConsoleHuman(never_answers).ask(HumanInputRequest(agent="user", prompt="?"), token)
    blocked.set()

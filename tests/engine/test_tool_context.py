"""A tool may ask for a ToolContext: hidden from the model, filled by the executing agent
with the conversation so far (what a simulated world needs to rebuild itself)."""

from __future__ import annotations

import json

from studio.engine import (
    ConversableAgent,
    HumanInput,
    Message,
    ScriptedModel,
    Tool,
    ToolCall,
    ToolContext,
)


def count(step: int, context: ToolContext) -> str:
    """Add ``step`` to a counter kept only in the conversation.

    Args:
        step: How much to add.
    """
    total = step + sum(json.loads(args)["step"] for _, args in context.earlier_calls("count"))
    return f"{context.agent} counted {total} for task {context.task!r} (call {context.call_id})"


def test_the_context_parameter_is_not_in_the_schema():
    tool = Tool.from_function(count)
    assert tool.context_parameter == "context"
    assert set(tool.parameters["properties"]) == {"step"}
    assert tool.parameters["required"] == ["step"]
    # called without a conversation (e.g. from a test or the Tools page) it still works
    assert tool.invoke('{"step": 2}') == (" counted 2 for task '' (call )", False)


def test_the_executing_agent_passes_the_conversation():
    calls = [[ToolCall(id="a", name="count", arguments='{"step": 1}'),
              ToolCall(id="b", name="count", arguments='{"step": 10}')],
             [ToolCall(id="c", name="count", arguments='{"step": 100}')],
             "done TERMINATE"]
    assistant = ConversableAgent("assistant", model=ScriptedModel(calls), tools=[count],
                                 human_input=HumanInput.NEVER)
    runner = ConversableAgent("runner", tools_for_execution=[count], human_input=HumanInput.NEVER)
    result = runner.initiate_chat(assistant, "count for me")
    results = [m.content for m in result.history if m.role == "tool"]
    assert results == ["runner counted 1 for task 'count for me' (call a)",
                       "runner counted 11 for task 'count for me' (call b)",
                       "runner counted 111 for task 'count for me' (call c)"]


def test_interrupted_calls_do_not_count():
    first = ToolCall(id="a", name="count", arguments='{"step": 5}')
    now = ToolCall(id="b", name="count", arguments='{"step": 1}')
    messages = (Message(role="user", content="go", name="runner"),
                Message(role="assistant", name="assistant", tool_calls=(first,)),
                Message(role="tool", content="USER INTERRUPTED", tool_call_id="a", name="count"),
                Message(role="assistant", name="assistant", tool_calls=(now,)))
    context = ToolContext(agent="runner", call_id="b", messages=messages)
    assert context.earlier_calls("count") == []
    assert Tool.from_function(count).invoke(now.arguments, context)[0].startswith(
        "runner counted 1 ")

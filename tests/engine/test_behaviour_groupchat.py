"""ENGINE_BEHAVIOUR.md cases 31-37: group chats and speaker selection."""

from __future__ import annotations

import pytest

from studio.engine import (
    ConfigError,
    ConversableAgent,
    FunctionModel,
    GroupChat,
    GroupChatManager,
    HumanInput,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    ToolCall,
    events,
)


def member(name: str, replies=None, **kw) -> ConversableAgent:
    kw.setdefault("human_input", HumanInput.NEVER)
    model = ScriptedModel(replies, then=f"{name} again") if replies is not None else None
    return ConversableAgent(name, model=model, description=f"{name} does {name} things", **kw)


def speakers(seen) -> list[str]:
    return [e.sender for e in seen if isinstance(e, events.MessageSent)]


def test_case_31_round_robin_and_broadcast():
    a, b, c = member("A", []), member("B", ["from B"]), member("C", ["from C"])
    seen: list[events.Event] = []
    chat = GroupChat([a, b, c], max_round=4, speaker_selection="round_robin")
    manager = GroupChatManager(chat)
    result = a.initiate_chat(manager, "task", control=RunControl(on_event=seen.append))
    assert speakers(seen) == ["A", "B", "C", "A"]
    assert result.stop_reason == StopReason.MAX_ROUNDS
    assert len(chat.messages) == 4
    for agent in (a, b, c):
        assert [m.content for m in agent.history(manager)] == [m.content for m in chat.messages]
    assert [m.role for m in b.history(manager)] == ["user", "assistant", "user", "user"]


def test_case_32_auto_selection_parses_names_and_retries():
    alice, bob = member("Alice", ["hi from alice TERMINATE"]), member("Bob", ["bob here TERMINATE"])
    user = member("user", [])
    selector = ScriptedModel(["I choose Bob"])
    chat = GroupChat([user, alice, bob], max_round=3)
    user.initiate_chat(GroupChatManager(chat, model=selector), "task")
    assert chat.messages[1].name == "Bob"

    selector = ScriptedModel(["Alice or Bob", "Alice"])
    chat = GroupChat([user, alice, bob], max_round=2)
    user.initiate_chat(GroupChatManager(chat, model=selector), "task")
    assert chat.messages[1].name == "Alice"
    assert len(selector.requests) == 2
    assert "more than one" in selector.requests[1].messages[-1].content
    assert selector.requests[0].purpose == "select_speaker"
    assert set(selector.requests[0].candidates) == {"user", "Alice", "Bob"}

    selector = ScriptedModel(["???", "nobody", "whatever"])
    chat = GroupChat([user, alice, bob], max_round=2)
    seen: list[events.Event] = []
    user.initiate_chat(GroupChatManager(chat, model=selector), "task",
                       control=RunControl(on_event=seen.append))
    assert len(selector.requests) == 3
    assert chat.messages[1].name == "Alice"  # next in order after the user
    assert any(isinstance(e, events.Warning) for e in seen)


def test_case_33_underscore_written_as_space():
    writer = member("Story_writer", ["once upon a time TERMINATE"])
    other = member("Editor", [])
    user = member("user", [])
    chat = GroupChat([user, writer, other], max_round=2)
    user.initiate_chat(GroupChatManager(chat, model=ScriptedModel(["Story writer"])), "go")
    assert chat.messages[1].name == "Story_writer"


def test_case_34_transition_graph_without_model_calls():
    a, b, c = member("A", ["a2"]), member("B", ["b1"]), member("C", ["c1"])
    selector = ScriptedModel([])
    graph = {a: [b], b: [c], c: [a]}
    chat = GroupChat([a, b, c], max_round=4, allowed_transitions=graph, transitions_type="allowed")
    result = a.initiate_chat(GroupChatManager(chat, model=selector), "a1")
    assert [m.name for m in chat.messages] == ["A", "B", "C", "A"]
    assert selector.requests == []
    assert result.stop_reason == StopReason.MAX_ROUNDS

    sink_graph = {a: [b], b: []}
    chat = GroupChat([a, b, c], max_round=10, allowed_transitions=sink_graph,
                     transitions_type="allowed", speaker_selection="round_robin")
    result = a.initiate_chat(GroupChatManager(chat), "a1")
    assert result.stop_reason == StopReason.NO_NEXT_SPEAKER
    assert str(result.stop_reason) == "no next speaker"


def test_case_35_configuration_errors():
    a, b = member("A"), member("B")
    with pytest.raises(ConfigError, match="allow_repeat_speaker"):
        GroupChat([a, b], allowed_transitions={a: [b]}, transitions_type="allowed",
                  allow_repeat_speaker=False)
    with pytest.raises(ConfigError, match="transitions_type"):
        GroupChat([a, b], allowed_transitions={a: [b]})
    with pytest.raises(ConfigError, match="at least 2"):
        GroupChat([a])
    stranger = member("Z")
    with pytest.raises(ConfigError, match="'Z'"):
        GroupChat([a, b], allowed_transitions={a: [stranger]}, transitions_type="allowed")
    with pytest.raises(ConfigError, match="auto speaker selection needs a model"):
        GroupChatManager(GroupChat([a, b]))


def test_case_36_speaker_function():
    a, b, c = member("A", []), member("B", ["b"]), member("C", ["c"])

    def ends(last, chat):
        return None

    chat = GroupChat([a, b, c], speaker_selection=ends)
    result = a.initiate_chat(GroupChatManager(chat), "go")
    assert len(chat.messages) == 1 and result.stop_reason == StopReason.NO_NEXT_SPEAKER

    chat = GroupChat([a, b, c], max_round=3, speaker_selection=lambda last, chat: "round_robin")
    a.initiate_chat(GroupChatManager(chat), "go")
    assert [m.name for m in chat.messages] == ["A", "B", "C"]

    chat = GroupChat([a, b, c], speaker_selection=lambda last, chat: member("X"))
    with pytest.raises(ConfigError, match="speaker selection function"):
        a.initiate_chat(GroupChatManager(chat), "go")


def test_case_37_termination_is_broadcast_and_introductions_reach_members():
    a, b, c = member("A", []), member("B", ["all done TERMINATE"]), member("C", ["never"])
    chat = GroupChat([a, b, c], max_round=10, speaker_selection="round_robin", send_introductions=True)
    manager = GroupChatManager(chat)
    result = a.initiate_chat(manager, "go")
    assert result.stop_reason == StopReason.TERMINATION
    assert [m.content for m in chat.messages] == ["go", "all done TERMINATE"]
    for agent in (a, b, c):
        history = agent.history(manager)
        assert "In attendance" in history[0].content and "C: C does C things" in history[0].content
        assert history[-1].content == "all done TERMINATE"
    assert all("In attendance" not in (m.content or "") for m in chat.messages)


def test_tool_calls_only_executors_are_eligible():
    def add(a: int, b: int) -> int:
        """Add two numbers.

        Args:
            a: first
            b: second
        """
        return a + b

    caller = member("caller", [[ToolCall(id="t1", name="add", arguments='{"a": 1, "b": 2}')],
                               "three TERMINATE"])
    executor = member("executor", [], tools_for_execution=[add])
    bystander = member("bystander", ["I should not speak"])
    chat = GroupChat([caller, bystander, executor], max_round=6, speaker_selection="round_robin")
    result = caller.initiate_chat(GroupChatManager(chat), "compute")
    names = [m.name for m in chat.messages]
    # compute, bystander, executor (empty auto-reply), caller's call -> only the executor may answer
    call_at = next(i for i, m in enumerate(chat.messages) if m.tool_calls)
    assert names[call_at] == "caller"
    answer = chat.messages[call_at + 1]
    assert answer.role == "tool" and answer.content == "3" and answer.tool_call_id == "t1"
    assert result.stop_reason == StopReason.TERMINATION


def test_manual_selection_asks_the_human():
    a, b, c = member("A", []), member("B", ["b TERMINATE"]), member("C", ["c TERMINATE"])
    human = ScriptedHuman(["C"])
    chat = GroupChat([a, b, c], speaker_selection="manual")
    a.initiate_chat(GroupChatManager(chat), "go", control=RunControl(human=human))
    assert chat.messages[1].name == "C"
    assert human.requests[0].kind == "speaker" and set(human.requests[0].options) == {"A", "B", "C"}


def test_repeat_speaker_not_allowed():
    a = member("A", [])
    b = member("B", ["b1", "b2"])
    selector = FunctionModel(lambda req: req.candidates[0])
    chat = GroupChat([a, b], max_round=3, allow_repeat_speaker=False)
    a.initiate_chat(GroupChatManager(chat, model=selector), "go")
    assert [m.name for m in chat.messages] == ["A", "B", "A"]


def test_manual_selection_exit_is_a_human_exit():
    a, b = member("A", []), member("B", ["b"])
    chat = GroupChat([a, b, member("C", [])], speaker_selection="manual")
    result = a.initiate_chat(GroupChatManager(chat), "go", control=RunControl(human=ScriptedHuman(["exit"])))
    assert result.stop_reason == StopReason.HUMAN_EXIT


def test_a_tool_call_nobody_can_run_is_answered_not_dropped():
    caller = member("caller", [[ToolCall(id="t9", name="search", arguments="{}")], "ok TERMINATE"])
    other = member("other", [])
    chat = GroupChat([caller, other], max_round=5, speaker_selection="round_robin")
    result = caller.initiate_chat(GroupChatManager(chat), "go")
    answers = [m for m in chat.messages if m.role == "tool"]
    assert answers and answers[0].content == "Error: Function search not found."
    assert result.stop_reason == StopReason.TERMINATION


def test_group_chat_keeps_its_log_when_asked():
    a, b = member("A", []), member("B", ["b1", "b2"])
    chat = GroupChat([a, b], max_round=2, speaker_selection="round_robin")
    manager = GroupChatManager(chat)
    a.initiate_chat(manager, "first")
    a.initiate_chat(manager, "second", clear_history=False)
    assert [m.content for m in chat.messages] == ["first", "b1", "second", "b2"]


def test_auto_from_a_speaker_function_without_a_model_is_a_config_error():
    a, b, c = member("A", []), member("B", ["b"]), member("C", ["c"])
    chat = GroupChat([a, b, c], speaker_selection=lambda last, chat: "auto")
    with pytest.raises(ConfigError, match="has no model"):
        a.initiate_chat(GroupChatManager(chat), "go")

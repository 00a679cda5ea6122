"""ENGINE_BEHAVIOUR.md cases 1-15 and 27-30: replies, human input, two-agent, sequential and
nested chats. Each test name carries its case number."""

from __future__ import annotations

import pytest

from studio.engine import (
    ChatContext,
    ChatSpec,
    ConfigError,
    ConversableAgent,
    HumanInput,
    Message,
    ModelError,
    NestedChat,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    Termination,
    ToolCall,
    events,
    initiate_chats,
)


def agent(name: str, **kw) -> ConversableAgent:
    kw.setdefault("human_input", HumanInput.NEVER)
    return ConversableAgent(name, **kw)


def recorder() -> tuple[RunControl, list[events.Event]]:
    seen: list[events.Event] = []
    return RunControl(on_event=seen.append), seen


def contents(history: list[Message]) -> list[str | None]:
    return [m.content for m in history]


def test_case_01_max_auto_replies_without_models():
    a = agent("a", max_consecutive_auto_reply=2)
    b = agent("b", max_consecutive_auto_reply=2)
    result = a.initiate_chat(b, "hi")
    assert contents(result.history) == ["hi", "", "", "", ""]
    assert result.stop_reason == StopReason.MAX_AUTO_REPLIES
    assert str(result.stop_reason) == "max auto-replies"


def test_case_02_zero_auto_replies_gives_no_reply():
    a = agent("a")
    b = agent("b", max_consecutive_auto_reply=0)
    result = a.initiate_chat(b, "hi")
    assert len(result.history) == 1
    assert result.stop_reason == StopReason.MAX_AUTO_REPLIES


def test_case_03_model_says_terminate_and_summary_is_empty():
    a = agent("a")
    b = agent("b", model=ScriptedModel(["TERMINATE"]))
    result = a.initiate_chat(b, "do it")
    assert contents(result.history) == ["do it", "TERMINATE"]
    assert result.stop_reason == StopReason.TERMINATION
    assert result.summary == ""


def test_case_04_default_and_exact_termination():
    a = agent("a")
    b = agent("b", model=ScriptedModel(["Done. TERMINATE"]))
    assert a.initiate_chat(b, "go").stop_reason == StopReason.TERMINATION

    a = agent("a", is_termination=Termination.exact("TERMINATE"), max_consecutive_auto_reply=1)
    b = agent("b", model=ScriptedModel(["Done. TERMINATE", "more"]))
    result = a.initiate_chat(b, "go")
    assert contents(result.history) == ["go", "Done. TERMINATE", "", "more"]
    assert result.stop_reason == StopReason.MAX_AUTO_REPLIES


def test_case_05_max_turns_gives_two_messages_per_turn():
    a = agent("a", model=ScriptedModel(["a1", "a2", "a3"]))
    b = agent("b", model=ScriptedModel(["b1", "b2", "b3"]))
    result = a.initiate_chat(b, "start", max_turns=2)
    assert contents(result.history) == ["start", "b1", "a1", "b2"]
    assert result.stop_reason == StopReason.MAX_TURNS


def test_case_06_termination_before_max_turns():
    a = agent("a", model=ScriptedModel(["never used"]))
    b = agent("b", model=ScriptedModel(["all done TERMINATE"]))
    result = a.initiate_chat(b, "start", max_turns=5)
    assert len(result.history) == 2
    assert result.stop_reason == StopReason.TERMINATION


def test_case_07_always_mode_exit_sends_nothing_more():
    human = ScriptedHuman(["exit"])
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel(["hello there"]))
    result = user.initiate_chat(bot, "hi", control=RunControl(human=human))
    assert contents(result.history) == ["hi", "hello there"]
    assert result.stop_reason == StopReason.HUMAN_EXIT
    assert result.human_inputs == ["exit"]


def test_case_08_human_text_is_sent_as_user_and_resets_counter():
    # the empty answer lets the agent auto-reply (count 1); the typed text resets the count to 0;
    # the chat then ends on a termination message, which does not touch the count
    human = ScriptedHuman(["", "please add tests", ""])
    control, seen = recorder()
    control.human = human
    user = agent("user", human_input=HumanInput.ALWAYS, default_auto_reply="carry on")
    bot = agent("bot", model=ScriptedModel(["v1", "v2", "v3 TERMINATE"]))
    result = user.initiate_chat(bot, "write code", control=control)
    assert contents(result.history) == ["write code", "v1", "carry on", "v2", "please add tests",
                                        "v3 TERMINATE"]
    assert result.stop_reason == StopReason.TERMINATION
    sent = [e for e in seen if isinstance(e, events.MessageSent) and e.sender == "user"]
    assert not sent[1].message.meta.get("human")  # the automatic reply is not the person's
    human_msg = sent[2].message
    assert human_msg.role == "user" and human_msg.meta.get("human")
    assert bot.history(user)[4].role == "user"
    assert user.auto_reply_count(bot) == 0
    assert result.human_inputs == ["", "please add tests", ""]


def test_case_09_always_mode_empty_input_uses_auto_reply():
    human = ScriptedHuman(["", "exit"])
    user = agent("user", human_input=HumanInput.ALWAYS, default_auto_reply="auto ok")
    bot = agent("bot", model=ScriptedModel(["v1", "v2"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert contents(result.history) == ["go", "v1", "auto ok", "v2"]
    assert result.stop_reason == StopReason.HUMAN_EXIT


def test_case_10_always_mode_empty_input_on_termination_ends():
    human = ScriptedHuman([""])
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel(["finished TERMINATE"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert len(result.history) == 2
    assert result.stop_reason == StopReason.TERMINATION


def test_case_11_terminate_mode_asks_on_termination():
    human = ScriptedHuman([""])
    user = agent("user", human_input=HumanInput.TERMINATE)
    bot = agent("bot", model=ScriptedModel(["done TERMINATE"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert len(human.requests) == 1 and result.stop_reason == StopReason.TERMINATION

    human = ScriptedHuman(["one more thing"], then="")
    user = agent("user", human_input=HumanInput.TERMINATE)
    bot = agent("bot", model=ScriptedModel(["done TERMINATE", "ok, really done TERMINATE"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert contents(result.history) == ["go", "done TERMINATE", "one more thing",
                                        "ok, really done TERMINATE"]
    assert result.stop_reason == StopReason.TERMINATION


def test_case_12_terminate_mode_at_auto_reply_limit():
    human = ScriptedHuman(["exit"])
    user = agent("user", human_input=HumanInput.TERMINATE, max_consecutive_auto_reply=1)
    bot = agent("bot", model=ScriptedModel(["a", "b", "c"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert contents(result.history) == ["go", "a", "", "b"]
    assert result.stop_reason == StopReason.HUMAN_EXIT

    human = ScriptedHuman(["", ""], then="exit")
    user = agent("user", human_input=HumanInput.TERMINATE, max_consecutive_auto_reply=1)
    bot = agent("bot", model=ScriptedModel(["a", "b", "c", "d"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert contents(result.history) == ["go", "a", "", "b", "", "c", "", "d"]
    assert len(human.requests) == 3


def test_case_13_never_mode_never_asks():
    human = ScriptedHuman(["should not be used"])
    a = agent("a", max_consecutive_auto_reply=3)
    b = agent("b", model=ScriptedModel(["x", "y", "z", "w", "TERMINATE"]))
    a.initiate_chat(b, "go", control=RunControl(human=human))
    assert human.requests == []


def test_case_14_human_answer_to_tool_calls_interrupts_them():
    calls = [ToolCall(id="call_1", name="search", arguments="{}"),
             ToolCall(id="call_2", name="fetch", arguments="{}")]
    human = ScriptedHuman(["skip that"], then="exit")
    user = agent("user", human_input=HumanInput.ALWAYS)
    bot = agent("bot", model=ScriptedModel([calls, "fine"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    tool_msgs = [m for m in result.history if m.role == "tool"]
    assert [m.tool_call_id for m in tool_msgs] == ["call_1", "call_2"]
    assert all(m.content == "USER INTERRUPTED" for m in tool_msgs)
    assert result.history[4].content == "skip that"


def test_case_15_custom_reply_functions_run_first():
    order: list[str] = []

    def passthrough(agent, messages, sender, ctx):
        order.append("passthrough")
        return False, None

    def answer(agent, messages, sender, ctx):
        order.append("answer")
        return True, "custom!"

    b = agent("b", model=ScriptedModel([]))
    b.register_reply(answer)
    b.register_reply(passthrough)  # position 0: runs before `answer`
    a = agent("a", max_consecutive_auto_reply=0)
    result = a.initiate_chat(b, "hi")
    assert order == ["passthrough", "answer"]
    assert contents(result.history) == ["hi", "custom!"]

    c = agent("c", model=ScriptedModel(["unused"]))
    c.register_reply(lambda *args: (True, None))
    result = agent("d").initiate_chat(c, "hi")
    assert len(result.history) == 1 and result.stop_reason == StopReason.NO_REPLY


def test_empty_message_is_rejected():
    with pytest.raises(ValueError, match="neither content nor a tool call"):
        agent("a").send(Message(role="user", content=None), agent("b"),
                        ChatContext.root(RunControl()))


def test_histories_per_counterpart_with_roles():
    a = agent("a", max_consecutive_auto_reply=0)
    b = agent("b", model=ScriptedModel(["pong"]))
    a.initiate_chat(b, "ping", max_turns=1)
    assert [(m.role, m.name) for m in a.history(b)] == [("assistant", "a"), ("user", "b")]
    assert [(m.role, m.name) for m in b.history(a)] == [("user", "a"), ("assistant", "b")]


def test_case_27_reflection_summary_makes_one_call():
    model = ScriptedModel(["answer TERMINATE", "the summary"])
    a = agent("a", model=model)
    b = agent("b", model=model)
    result = a.initiate_chat(b, "go", summary_method="reflection")
    assert result.summary == "the summary"
    assert len(model.requests) == 2 and model.requests[1].purpose == "summary"

    for failure in (ModelError("boom", kind="server"), KeyError("choices"), RuntimeError("bad")):
        control, seen = recorder()
        failing = ScriptedModel(["answer TERMINATE", failure])
        a = agent("a", model=failing)
        b = agent("b", model=failing)
        result = a.initiate_chat(b, "go", summary_method="reflection", control=control)
        assert (result.stop_reason, result.summary, result.error) == (StopReason.TERMINATION, "", None)
        warnings = [e.text for e in seen if isinstance(e, events.Warning)]
        assert len(warnings) == 1 and "summary" in warnings[0]
        assert not any(isinstance(e, events.Error) for e in seen)
        assert seen[-1].reason == "termination message"


def test_case_28_sequential_chats_carry_summaries():
    user = agent("user", max_consecutive_auto_reply=0)
    researcher = agent("researcher", model=ScriptedModel(["facts: water is wet"]))
    writer = agent("writer", model=ScriptedModel(["article"]))
    results = initiate_chats([
        ChatSpec(user, researcher, "research water", max_turns=1),
        ChatSpec(user, writer, "write it up", max_turns=1),
    ])
    assert len(results) == 2
    first = writer.history(user)[0].content
    assert first == "write it up\nContext: \nfacts: water is wet"


def test_case_29_clear_history():
    a = agent("a", max_consecutive_auto_reply=0)
    b = agent("b", model=ScriptedModel(["one", "two"]))
    a.initiate_chat(b, "first", max_turns=1)
    a.initiate_chat(b, "second", max_turns=1, clear_history=False)
    assert contents(a.history(b)) == ["first", "one", "second", "two"]
    c = agent("c", model=ScriptedModel(["1", "2"]))
    a.initiate_chat(c, "p", max_turns=1)
    a.initiate_chat(c, "q", max_turns=1, clear_history=True)
    assert contents(a.history(c)) == ["q", "2"]


def test_case_30_nested_chat_replies_with_summary():
    control, seen = recorder()
    critic = agent("critic", model=ScriptedModel(["needs a title"]))
    writer = agent("writer", model=ScriptedModel([]))
    writer.register_nested_chats([NestedChat(recipient=critic, max_turns=1)])
    user = agent("user", max_consecutive_auto_reply=0)
    result = user.initiate_chat(writer, "write a poem", control=control)
    assert contents(result.history) == ["write a poem", "needs a title"]
    assert contents(writer.history(critic)) == ["write a poem", "needs a title"]
    assert all(m.name != "critic" for m in writer.history(user))
    nested = [e for e in seen if isinstance(e, events.ChatStarted) and e.kind == "nested"]
    assert nested and nested[0].depth == 1 and nested[0].parent_chat_id == result.chat_id


def test_max_turns_must_be_positive():
    with pytest.raises(ConfigError):
        agent("a").initiate_chat(agent("b"), "x", max_turns=0)


def test_case_08_counter_reset_lets_auto_replies_continue():
    # terminate mode, one auto-reply allowed: the human's text resets the count, so the
    # agent auto-replies again afterwards instead of stopping at the limit
    human = ScriptedHuman(["fix it", "exit"])
    user = agent("user", human_input=HumanInput.TERMINATE, max_consecutive_auto_reply=1)
    bot = agent("bot", model=ScriptedModel(["a", "b", "c", "d"]))
    result = user.initiate_chat(bot, "go", control=RunControl(human=human))
    assert contents(result.history) == ["go", "a", "", "b", "fix it", "c", "", "d"]


def test_a_termination_message_at_the_limit_stops_as_a_termination():
    # never mode, one auto-reply allowed: b's second message arrives at the limit and ends
    # with TERMINATE; the stop reason is the termination, not the limit
    a = agent("a", max_consecutive_auto_reply=1)
    b = agent("b", model=ScriptedModel(["x", "done TERMINATE"]))
    result = a.initiate_chat(b, "go")
    assert contents(result.history) == ["go", "x", "", "done TERMINATE"]
    assert result.stop_reason == StopReason.TERMINATION

    human = ScriptedHuman([""])  # terminate mode at the limit: the person is asked, empty ends
    a = agent("a", human_input=HumanInput.TERMINATE, max_consecutive_auto_reply=1)
    b = agent("b", model=ScriptedModel(["x", "done TERMINATE"]))
    result = a.initiate_chat(b, "go", control=RunControl(human=human))
    assert len(human.requests) == 1 and result.stop_reason == StopReason.TERMINATION

"""Rebuilding a conversation from its recorded events (``Recording``): resume an
interrupted run where it stopped, continue a finished one, fork from a message.

The core check: for every point a run could have stopped at (after each recorded event),
a fresh team given the events so far ends with exactly the transcript the uninterrupted
run gave -- the same messages, counters, speakers and questions to the human -- and no
model, human, tool or code call is made again for what was recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from studio.engine import (
    ChatSpec,
    ConversableAgent,
    DemoModel,
    FunctionModel,
    GroupChat,
    GroupChatManager,
    HumanInput,
    Message,
    NestedChat,
    Recording,
    ReplayMismatch,
    ResumeUnsafe,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
    ToolCall,
    events,
    initiate_chats,
)
from studio.engine.code import LocalExecutor


def add(a: int, b: int) -> int:
    """Add two numbers.

    Args:
        a: the first number
        b: the second number
    """
    return a + b


@dataclass
class Team:
    """A team built afresh for each run, as a new worker would build it from a template."""

    start: Callable[[RunControl], Any]
    models: list[Any] = field(default_factory=list)
    human: ScriptedHuman | None = None


def comparable(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for e in evs:
        e = json.loads(json.dumps(e, default=str))
        e.pop("time", None)
        e.pop("duration", None)  # code takes its own time each run
        out.append(e)
    return out


def record(team: Team, replay: Recording | None = None) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def keep(event: events.Event) -> None:
        if not event.transient:
            seen.append(event.to_dict())

    control = RunControl(on_event=keep, human=team.human, replay=replay)
    team.start(control)
    return seen


def model_calls(team: Team) -> int:
    return sum(len(m.requests) for m in team.models)


def assert_resumes_everywhere(make: Callable[[list[str]], Team], answers: list[str] = ()) -> list[dict]:
    """Resume after every recorded event: the transcript equals the uninterrupted one."""
    full = record(make(list(answers)))
    assert len(full) > 5
    for cut in range(1, len(full)):
        prefix = full[:cut]
        given = sum(1 for e in prefix if e["type"] == "human_input_received")
        team = make(list(answers)[given:])
        rest = record(team, Recording.of(prefix))
        assert comparable(prefix + rest) == comparable(full), f"resumed after event {cut}"
    return full


# -- resume: two-agent chats ---------------------------------------------------------------
def two_agent_team(answers: list[str]) -> Team:
    model = ScriptedModel([
        ToolCall(id="c1", name="add", arguments='{"a": 2, "b": 3}'),
        "The sum is 5. Anything else?",
        "Fine, with pleasure: 5 again. TERMINATE",
    ])
    human = ScriptedHuman(answers)
    assistant = ConversableAgent("assistant", model=model, tools=[add], human_input="never")
    user = ConversableAgent("user", human_input=HumanInput.TERMINATE, tools_for_execution=[add],
                            max_consecutive_auto_reply=1)

    def start(control: RunControl) -> Any:
        return user.initiate_chat(assistant, "What is 2 + 3?", control=control)

    return Team(start, [model], human)


def test_two_agent_chat_resumes_after_any_event_with_tools_counters_and_human():
    full = assert_resumes_everywhere(two_agent_team, ["say it again please", "exit"])
    kinds = [e["type"] for e in full]
    assert "tool_result" in kinds and kinds.count("human_input_received") == 2
    assert full[-1]["type"] == "chat_finished" and full[-1]["reason"] == "human exit"


def test_nothing_recorded_is_asked_for_again():
    full = record(two_agent_team(["say it again please", "exit"]))
    team = two_agent_team([])  # no answers left: asking the human would exit at once
    rest = record(team, Recording.of(full))
    assert rest == []  # everything was recorded: nothing new happens, nothing is re-emitted
    assert model_calls(team) == 3  # replayed replies move the script on...
    assert team.models[0].remaining == 0  # ...without completing anything


def test_resumed_run_waits_for_the_same_pending_question():
    full = record(two_agent_team(["say it again please", "exit"]))
    asked = [i for i, e in enumerate(full) if e["type"] == "human_input_requested"]
    cut = asked[0] + 1  # stopped while the human was being asked
    team = two_agent_team(["say it again please", "exit"])
    rest = record(team, Recording.of(full[:cut]))
    assert team.human.requests[0].prompt == full[asked[0]]["prompt"]  # asked again, same question
    assert [e["type"] for e in rest][0] == "human_input_received"  # the request is not re-emitted
    assert comparable(full[:cut] + rest) == comparable(full)


def test_auto_reply_counter_is_rebuilt():
    def make(_answers: list[str]) -> Team:
        a = ConversableAgent("a", human_input="never", max_consecutive_auto_reply=3,
                             default_auto_reply="again")
        b = ConversableAgent("b", human_input="never", max_consecutive_auto_reply=3,
                             default_auto_reply="sure")
        return Team(lambda control: a.initiate_chat(b, "hi", control=control))

    full = assert_resumes_everywhere(make)
    assert full[-1]["reason"] == str(StopReason.MAX_AUTO_REPLIES)
    assert sum(e["type"] == "message" for e in full) == 7  # hi + 3 replies each


def test_interjections_are_replayed_where_they_were_delivered():
    holder: list[RunControl] = []

    def reply(request: Any) -> str:
        if len(request.messages) == 3 and holder:
            holder[-1].interject("Please also say why.")  # the human steps in mid-run
        return f"reply {len(request.messages)}" + (" TERMINATE" if len(request.messages) > 6 else "")

    def make() -> Team:
        a = ConversableAgent("a", model=FunctionModel(reply), human_input="never")
        b = ConversableAgent("b", model=FunctionModel(reply), human_input="never")

        def start(control: RunControl) -> Any:
            holder.append(control)
            return a.initiate_chat(b, "start", control=control)

        return Team(start)

    full = record(make())
    delivered = next(i for i, e in enumerate(full) if e["type"] == "interjection")
    assert full[delivered + 1]["message"]["content"] == "Please also say why."
    for cut in range(delivered + 1, len(full)):
        rest = record(make(), Recording.of(full[:cut]))
        assert comparable(full[:cut] + rest) == comparable(full), f"resumed after event {cut}"


# -- resume: sequential and nested chats ----------------------------------------------------
def test_sequential_chats_resume_with_their_carryover():
    def make(_answers: list[str]) -> Team:
        models = [ScriptedModel([f"{n} done TERMINATE"]) for n in ("research", "draft", "edit")]
        lead = ConversableAgent("lead", human_input="never")
        workers = [ConversableAgent(n, model=m, human_input="never")
                   for n, m in zip(("researcher", "writer", "editor"), models, strict=True)]

        def start(control: RunControl) -> Any:
            return initiate_chats([ChatSpec(lead, w, message=f"task for {w.name}")
                                   for w in workers], control=control)

        return Team(start, models)

    full = assert_resumes_everywhere(make)
    firsts = [e["message"]["content"] for e in full if e["type"] == "message"
              and e["sender"] == "lead"]
    assert "Context: \nresearch done" in firsts[1] and "draft done" in firsts[2]


def test_nested_chats_resume_inside_the_inner_chat():
    def make(_answers: list[str]) -> Team:
        critic_model = ScriptedModel(["Looks fine.", "Still fine."])
        writer_model = ScriptedModel(["Draft one.", "Draft two. TERMINATE"])
        critic = ConversableAgent("critic", model=critic_model, human_input="never")
        writer = ConversableAgent("writer", model=writer_model, human_input="never")
        boss = ConversableAgent("boss", human_input="never", max_consecutive_auto_reply=2)
        boss.register_nested_chats([NestedChat(recipient=critic, max_turns=1)])

        def start(control: RunControl) -> Any:
            return boss.initiate_chat(writer, "write a poem", control=control)

        return Team(start, [critic_model, writer_model])

    full = assert_resumes_everywhere(make)
    assert any(e["type"] == "chat_started" and e["kind"] == "nested" for e in full)


# -- resume: group chats -------------------------------------------------------------------
@pytest.mark.parametrize("selection", ["round_robin", "auto", "random", "manual"])
def test_group_chat_resumes_with_the_same_next_speaker(selection):
    def pick(request: Any) -> str:  # a stateless selector: depends only on what was said
        said = sum(1 for m in request.messages if m.name)
        return request.candidates[said % len(request.candidates)]

    def make(answers: list[str]) -> Team:
        models = {n: ScriptedModel([f"{n} speaks once", f"{n} speaks twice"], then=f"{n} again")
                  for n in ("planner", "coder", "critic")}
        members = [ConversableAgent(n, model=m, description=f"the {n}", human_input="never")
                   for n, m in models.items()]
        user = ConversableAgent("user", human_input="never")
        chat = GroupChat([user, *members], max_round=7, speaker_selection=selection, seed=7,
                         allow_repeat_speaker=False)
        manager = GroupChatManager(chat, model=FunctionModel(pick) if selection == "auto" else None)
        human = ScriptedHuman(answers, then="")

        def start(control: RunControl) -> Any:
            return user.initiate_chat(manager, "build a thing", control=control)

        return Team(start, list(models.values()), human)

    answers = ["critic", "coder", "planner", "critic", "coder", "planner"] \
        if selection == "manual" else []
    full = assert_resumes_everywhere(make, answers)
    assert sum(e["type"] == "speaker_selected" for e in full) == 6


def test_demo_model_continues_its_script_after_a_resume():
    script = [{"agent": "coder", "content": "Step one."}, {"agent": "critic", "content": "Ok."},
              {"agent": "coder", "content": "Step two."}, {"agent": "critic", "content": "Done. TERMINATE"}]

    def make(_answers: list[str]) -> Team:
        demo = DemoModel(script)
        coder = ConversableAgent("coder", model=demo, human_input="never")
        critic = ConversableAgent("critic", model=demo, human_input="never")
        chat = GroupChat([coder, critic], max_round=8, speaker_selection="auto")
        manager = GroupChatManager(chat, model=demo)
        return Team(lambda control: coder.initiate_chat(manager, "Plan it.", control=control))

    full = assert_resumes_everywhere(make)
    said = [e["message"]["content"] for e in full if e["type"] == "message"]
    assert said == ["Plan it.", "Step one.", "Ok.", "Step two.", "Done. TERMINATE"]


def test_reflection_summary_comes_from_the_recording():
    def make() -> tuple[ConversableAgent, ConversableAgent, ScriptedModel]:
        model = ScriptedModel(["Paris. TERMINATE", "They asked about France."])
        return (ConversableAgent("user", human_input="never"),
                ConversableAgent("assistant", model=model, human_input="never"), model)

    user, assistant, _ = make()
    full: list[events.Event] = []
    user.initiate_chat(assistant, "Capital?", summary_method="reflection",
                       control=RunControl(on_event=full.append))
    finished = [e for e in full if isinstance(e, events.ChatFinished)]
    user, assistant, model = make()
    rest: list[events.Event] = []
    result = user.initiate_chat(assistant, "Capital?", summary_method="reflection",
                                control=RunControl(on_event=rest.append,
                                                   replay=Recording.of(full[:-1])))
    assert result.summary == finished[0].summary == "They asked about France."
    assert model.remaining == 0
    assert [e.type for e in rest if not e.transient] == ["chat_finished"]


# -- resume: code execution ----------------------------------------------------------------
def code_team(work_dir) -> Team:
    model = ScriptedModel(["```python\nopen('ran.txt', 'a').write('x')\nprint('hello')\n```",
                           "It printed hello. TERMINATE"])
    coder = ConversableAgent("coder", model=model, human_input="never")
    runner = ConversableAgent("runner", human_input="never",
                              code_executor=LocalExecutor(work_dir=work_dir, timeout=20,
                                                          allow_unsandboxed=True))
    return Team(lambda control: runner.initiate_chat(coder, "Write a file.", control=control),
                [model])


def test_code_that_ran_is_not_run_again_on_resume(tmp_path):
    full = record(code_team(tmp_path))
    assert (tmp_path / "ran.txt").read_text() == "x"
    executed = next(i for i, e in enumerate(full) if e["type"] == "code_executed")
    rest = record(code_team(tmp_path), Recording.of(full[:executed + 1]))
    assert comparable(full[:executed + 1] + rest) == comparable(full)
    assert (tmp_path / "ran.txt").read_text() == "x"  # the code ran once


def test_a_recording_from_before_code_started_events_still_replays(tmp_path):
    full = record(code_team(tmp_path))
    older = [e for e in full if e["type"] != "code_started"]
    rest = record(code_team(tmp_path), Recording.of(older))
    assert rest == [] and (tmp_path / "ran.txt").read_text() == "x"


def test_resume_refuses_when_code_was_in_flight(tmp_path):
    full = record(code_team(tmp_path))
    started = next(i for i, e in enumerate(full) if e["type"] == "code_started")
    with pytest.raises(ResumeUnsafe, match="runner was running code"):
        record(code_team(tmp_path), Recording.of(full[:started + 1]))
    assert (tmp_path / "ran.txt").read_text() == "x"
    # stopped just before the code started: it runs (once) on resume
    rest = record(code_team(tmp_path / "again"), Recording.of(full[:started]))
    assert comparable(full[:started] + rest) == comparable(full)
    assert (tmp_path / "again" / "ran.txt").read_text() == "x"


# -- continue a finished run ---------------------------------------------------------------
def test_continue_a_finished_two_agent_chat_with_a_follow_up():
    def make() -> tuple[ConversableAgent, ConversableAgent, ScriptedModel]:
        model = ScriptedModel(["Paris. TERMINATE", "About 2.1 million. TERMINATE"])
        return (ConversableAgent("user", human_input="never"),
                ConversableAgent("assistant", model=model, human_input="never"), model)

    user, assistant, model = make()
    first: list[events.Event] = []
    user.initiate_chat(assistant, "Capital of France?", control=RunControl(on_event=first.append))

    user, assistant, model = make()  # later, in another process
    seen: list[events.Event] = []
    control = RunControl(on_event=seen.append, replay=Recording.of(first, resume=False))
    user.initiate_chat(assistant, "Capital of France?", control=control)
    assert seen == [] and not control.replaying
    result = user.initiate_chat(assistant, "And its population?", clear_history=False,
                                control=control)
    assert result.summary == "About 2.1 million."
    asked = model.requests[-1].messages
    assert [m.content for m in asked] == ["Capital of France?", "Paris. TERMINATE",
                                          "And its population?"]
    assert [e.type for e in seen][0] == "chat_started" and seen[0].chat_id == "c2"


def test_continue_a_finished_group_chat_keeps_the_shared_log():
    def make() -> tuple[ConversableAgent, GroupChatManager]:
        a = ConversableAgent("a", model=ScriptedModel(["a1", "a2 TERMINATE"]), human_input="never")
        b = ConversableAgent("b", model=ScriptedModel(["b1 TERMINATE", "b2"]), human_input="never")
        chat = GroupChat([a, b], max_round=6, speaker_selection="round_robin")
        return a, GroupChatManager(chat)

    a, manager = make()
    first: list[events.Event] = []
    a.initiate_chat(manager, "go", control=RunControl(on_event=first.append))
    a, manager = make()
    control = RunControl(replay=Recording.of(first, resume=False))
    a.initiate_chat(manager, "go", control=control)
    a.initiate_chat(manager, "one more round", clear_history=False, control=control)
    said = [m.content for m in manager.groupchat.messages]
    assert said[:2] == ["go", "b1 TERMINATE"] and said[2] == "one more round"
    assert said[3] == "b2"


# -- fork from a message -------------------------------------------------------------------
def fork_team() -> tuple[ConversableAgent, ConversableAgent, FunctionModel]:
    def reply(request: Any) -> str:
        last = request.messages[-1].content
        return f"echo: {last}" + (" TERMINATE" if len(request.messages) >= 5 else "")

    model = FunctionModel(reply)
    return (ConversableAgent("user", human_input="never", default_auto_reply="go on"),
            ConversableAgent("bot", model=model, human_input="never"), model)


def test_fork_from_a_message_with_its_text_replaced():
    user, bot, _ = fork_team()
    original: list[events.Event] = []
    user.initiate_chat(bot, "hello", control=RunControl(on_event=original.append))
    recording = Recording.of(original)
    assert [m.content for m in recording.messages][:3] == ["hello", "echo: hello", "go on"]

    user, bot, model = fork_team()
    forked: list[events.Event] = []
    control = RunControl(on_event=forked.append, echo_replayed=True,
                         replay=recording.until_message(2, "tell me a joke"))
    user.initiate_chat(bot, "hello", control=control)
    said = [e.message.content for e in forked if isinstance(e, events.MessageSent)]
    assert said[:4] == ["hello", "echo: hello", "tell me a joke", "echo: tell me a joke"]
    assert len(model.requests) == 2  # of the bot's 3 replies, the replayed one was not asked for
    assert model.requests[0].messages[-1].content == "tell me a joke"
    assert [m.content for m in recording.messages][2] == "go on"  # the original is untouched


def test_fork_from_a_human_message_edits_the_answer_too():
    def make(answers: list[str]) -> tuple[ConversableAgent, ConversableAgent, ScriptedHuman]:
        human = ScriptedHuman(answers)
        return (ConversableAgent("user", human_input="always"),
                ConversableAgent("bot", model=FunctionModel(lambda r: f"re: {r.messages[-1].content}"),
                                 human_input="never"), human)

    user, bot, human = make(["first answer", "exit"])
    original: list[events.Event] = []
    user.initiate_chat(bot, "hi", control=RunControl(on_event=original.append, human=human))
    recording = Recording.of(original).until_message(2, "edited answer")
    received = [e for e in recording.events if e["type"] == "human_input_received"]
    assert received[-1]["text"] == "edited answer"

    user, bot, human = make(["exit"])
    forked: list[events.Event] = []
    user.initiate_chat(bot, "hi", control=RunControl(on_event=forked.append, human=human,
                                                     echo_replayed=True, replay=recording))
    said = [e.message.content for e in forked if isinstance(e, events.MessageSent)]
    assert said == ["hi", "re: hi", "edited answer", "re: edited answer"]


# -- what cannot be replayed ---------------------------------------------------------------
def test_a_recording_of_another_team_is_refused():
    user, bot, _ = fork_team()
    original: list[events.Event] = []
    user.initiate_chat(bot, "hello", control=RunControl(on_event=original.append))
    other = ConversableAgent("someone_else", model=ScriptedModel(["hi"]), human_input="never")
    with pytest.raises(ReplayMismatch, match="does not match"):
        user.initiate_chat(other, "hello", control=RunControl(replay=Recording.of(original)))


def test_recording_reads_stored_shapes_and_skips_foreign_events():
    user, bot, _ = fork_team()
    original: list[events.Event] = []
    user.initiate_chat(bot, "hello", control=RunControl(on_event=original.append))
    stored = [{"seq": i + 1, **e.to_dict()} for i, e in enumerate(original)]
    stored.insert(3, {"seq": 99, "type": "notice", "text": "resumed on another worker"})
    rows = [{"seq": i + 1, "kind": e.type, "data": e.to_dict()} for i, e in enumerate(original)]
    assert Recording.of(stored).events == Recording.of(rows).events == Recording.of(original).events
    assert Recording.of(original).finished
    assert not Recording.of(original[:3]).finished
    assert isinstance(Recording.of(original).messages[0], Message)
    with pytest.raises(IndexError, match="has 6 messages"):
        Recording.of(original).until_message(6)

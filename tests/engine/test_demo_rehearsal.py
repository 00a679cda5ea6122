"""The Demo model as an honest rehearsal: one script per task, the task's own words for a
task no script knows, placeholders, and a readable pace."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from studio.engine import DemoPace, DemoScript, Message, ModelRequest
from studio.engine.models import _demo as demo_module
from studio.engine.models._demo import DemoModel, DemoScriptError, TaskWords, _pieces

SCRIPTS = [
    {"task": "Plan a picnic.", "turns": [{"agent": "planner", "content": "Picnic plan. TERMINATE"}]},
    {"task": "Plan a party.", "turns": [{"agent": "planner", "content": "Party plan. TERMINATE"}]},
    {"turns": [{"agent": "planner", "content": "How do we {{request}}? About {{topic}}."},
               {"agent": "planner", "content": "Hello {{names|everyone}}. TERMINATE"}]},
]


SCRIPTS_TURN = DemoModel(scripts=SCRIPTS[:1]).scripts[0].turns


def opening(text: str) -> Message:
    return Message(role="user", content=text, name="user")


def reply(model: DemoModel, agent: str, *history: Message) -> str:
    system = Message(role="system", content=f"You are the {agent}.")
    response = model.complete(ModelRequest(messages=(system, *history), agent=agent))
    return response.content or ""


@pytest.mark.parametrize(("task", "said"), [
    ("Plan a picnic.", "Picnic plan. TERMINATE"),
    ("  plan a PARTY ", "Party plan. TERMINATE"),  # case, spacing and final stop do not matter
])
def test_each_task_plays_its_own_script(task, said) -> None:
    model = DemoModel(scripts=SCRIPTS)
    assert reply(model, "planner", opening(task)) == said
    assert model.rehearsal == "scripted" and model.task == task.strip()


def test_a_task_no_script_knows_gets_a_conversation_in_its_own_words() -> None:
    model = DemoModel(scripts=SCRIPTS)
    task = "Plan a one-day workshop for teachers with Maria and Tom"
    first = reply(model, "planner", opening(task))
    assert first == ("How do we plan a one-day workshop for teachers with Maria and Tom? About "
                     "a one-day workshop for teachers with Maria and Tom.")
    assert reply(model, "planner", opening(task)) == "Hello Maria and Tom. TERMINATE"
    assert model.rehearsal == "adapted"


def test_the_task_is_read_back_from_the_opening_message_format() -> None:
    model = DemoModel(scripts=SCRIPTS, task_formats=["{task}", "Challenge: {task}"])
    assert reply(model, "planner", opening("Challenge: Plan a party.")) == "Party plan. TERMINATE"
    other = DemoModel(scripts=SCRIPTS, task_formats=["Challenge: {task}"])
    assert reply(other, "planner", opening("Challenge: Grow tomatoes")).startswith(
        "How do we grow tomatoes?")
    assert other.task == "Grow tomatoes"


def test_a_known_task_inside_an_unknown_wrapper_is_still_found() -> None:
    model = DemoModel(scripts=SCRIPTS)
    assert reply(model, "planner", opening("Please: Plan a picnic.")) == "Picnic plan. TERMINATE"


def test_without_a_script_for_any_task_the_replies_are_improvised_about_the_task() -> None:
    model = DemoModel(scripts=SCRIPTS[:2])
    said = reply(model, "planner", opening("Organise a bake sale"))
    assert "Organise a bake sale" in said
    assert model.rehearsal == "improvised"


def test_a_turn_needing_words_the_task_lacks_is_left_out() -> None:
    script = [{"agent": "a", "tool_calls": [{"name": "calc",
                                             "arguments": {"expression": "{{expression}}"}}]},
              {"agent": "a", "content": "{{expression}} = {{last_message}}. TERMINATE"},
              {"agent": "a", "content": "No sum in {{task_quoted}}. TERMINATE"}]
    with_sum = DemoModel(scripts=[{"turns": script}])
    response = with_sum.complete(ModelRequest(messages=(opening("What is 15% of 80?"),),
                                              agent="a"))
    assert json.loads(response.tool_calls[0].arguments) == {"expression": "15 / 100 * 80"}
    result = Message(role="tool", content="12", tool_call_id=response.tool_calls[0].id)
    assert (reply(with_sum, "a", opening("What is 15% of 80?"), result)
            == "15 / 100 * 80 = 12. TERMINATE")
    without = DemoModel(scripts=[{"turns": script}])
    assert reply(without, "a", opening("Name a river")) == 'No sum in "Name a river". TERMINATE'


def test_a_group_chats_introductions_are_not_the_task() -> None:
    intro = Message(role="user", content="Hello. I am the manager; the members are: a, b.",
                    name="manager", meta={"kind": "introduction"})
    model = DemoModel(scripts=SCRIPTS)
    assert reply(model, "planner", intro, opening("Plan a party.")) == "Party plan. TERMINATE"


@pytest.mark.parametrize(("scripts", "message"), [
    ([{"task": "x", "turns": [{"agent": "a", "content": "1"}]},
      {"task": "X.", "turns": [{"agent": "a", "content": "2"}]}], "already for the task"),
    ([{"turns": [{"agent": "a", "content": "1"}]}, {"turns": [{"agent": "a", "content": "2"}]}],
     "already for any other task"),
    ([{"task": "x", "turns": []}], "demo_scripts[0].turns: a script needs at least one turn"),
    ([{"task": "x", "lines": []}], "unknown key(s) 'lines'"),
    ([{"turns": [{"agent": "a", "content": "{{topc}}"}]}],
     "demo_scripts[0].turns[0]: unknown placeholder {{topc}}"),
])
def test_bad_scripts_say_what_to_fix(scripts, message) -> None:
    with pytest.raises(DemoScriptError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("]", r"\]")):
        DemoModel(scripts=scripts)


def test_script_for_any_task_and_a_fallback_entry_cannot_both_be_given() -> None:
    with pytest.raises(DemoScriptError, match="not both"):
        DemoModel([{"agent": "a", "content": "hi"}], scripts=SCRIPTS)
    model = DemoModel(scripts=[DemoScript(task="Plan a picnic.", turns=SCRIPTS_TURN),
                               *SCRIPTS[1:]])
    assert [s.task for s in model.scripts] == ["Plan a picnic.", "Plan a party.", None]


@pytest.mark.parametrize(("task", "expected"), [
    ("Plan a one-day workshop for teachers",
     {"request": "plan a one-day workshop for teachers", "topic": "a one-day workshop for teachers",
      "question": "How do we plan a one-day workshop for teachers?",
      "keywords": "one-day, workshop, teachers", "names": ""}),
    ("Cities should make public transport free.",
     {"question": "Should cities make public transport free?", "keyword": "cities"}),
    ("Draft an email to Maria and Tom about the picnic on Saturday.",
     {"names": "Maria and Tom", "name": "Maria"}),
    ("How do heat pumps work, and are they worth it?",
     {"topic": "heat pumps", "question": "How do heat pumps work, and are they worth it?"}),
    ("Please can you help me organise a bake sale for the Greenfield School library",
     {"request": "organise a bake sale for the Greenfield School library",
      "names": "Greenfield School"}),
    ("What is (17 * 23) - 2 ** 8?", {"expression": "(17 * 23) - 2 ** 8"}),
    ("What is 15% of 80?", {"expression": "15 / 100 * 80"}),
    ("Is this safe?\n\ndef f(x):\n    return 1 / x", {"code": "def f(x):\n    return 1 / x",
                                                     "topic": "this safe"}),
    ("Tell me about the water cycle", {"topic": "the water cycle", "Topic": "The water cycle"}),
    ('Say "hi"', {"task_quoted": '"Say \\"hi\\""'}),
    # the words fit a script's sentences: "How might we {{request}}?", "about {{topic}}"
    ("How can our class keep the classroom tidy?",
     {"request": "keep the classroom tidy", "topic": "the classroom",
      "question": "How can our class keep the classroom tidy?"}),
    ("Get more teenagers to visit the Millbrook village library on Friday evenings",
     {"topic": "the Millbrook village library", "keywords": "Millbrook, village, library"}),
    ("How bees make honey.", {"topic": "how bees make honey",
                              "question": "What do we know about how bees make honey?"}),
    ("Only the launch party is realistic: we have no staff for the rest.",
     {"topic": "the launch party"}),
])
def test_the_words_of_a_task(task, expected) -> None:
    values = TaskWords.of(task).values()
    assert {key: values[key] for key in expected} == expected


def test_readable_pace_streams_every_message_within_a_second_and_a_half() -> None:
    instant = DemoModel()
    readable = DemoModel(pace=DemoPace.READABLE)
    assert instant.token_delay == 0
    assert readable.token_delay > 0 and readable.max_message_seconds == 1.5
    long = " ".join(["word"] * 400)
    assert readable.delay_for(long) * 400 <= 1.5
    assert readable.delay_for(" ".join(["word"] * 45)) == readable.token_delay
    assert DemoModel(pace="readable", token_delay=0.2).delay_for(long) == 0.2
    with pytest.raises(ValueError):
        DemoModel(pace="slow")


class _Waits:
    """A cancel token that records how long the stream asks to wait (and never waits)."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def is_set(self) -> bool:
        return False

    def wait(self, timeout: float | None = None) -> bool:
        self.asked.append(timeout or 0.0)
        return False


@pytest.mark.parametrize("text", ["e2e4", "I take the centre with the king's pawn.",
                                  "Agreed. TERMINATE"])
def test_readable_pace_gives_a_short_message_time_to_be_read(text, monkeypatch) -> None:
    # a chess move streamed in 0.2 s: gone before a person could read it or step in
    readable = DemoModel([{"agent": "white", "content": text}], pace="readable")
    pieces = len(list(_pieces(text)))
    delay = readable.delay_for(text)
    assert delay * pieces == pytest.approx(1.2)
    # a clock that stands still: the waits asked for are the schedule itself, however
    # fast or loaded the machine is
    monkeypatch.setattr(demo_module, "time", SimpleNamespace(monotonic=lambda: 100.0))
    waits, streamed = _Waits(), []
    readable.complete(ModelRequest(messages=(opening("Play."),), agent="white"),
                      cancel=waits, on_token=streamed.append)  # type: ignore[arg-type]
    assert "".join(streamed) == text, "the words are the message's own: nothing added"
    # the last piece is scheduled 1.2 s after the stream began
    assert waits.asked == pytest.approx([delay * (i + 1) for i in range(pieces)])
    instant = DemoModel([{"agent": "white", "content": text}])
    assert instant.delay_for(text) == 0, "instant (tests, the CLI) stays instant"
    with pytest.raises(ValueError, match="min_message_seconds"):
        DemoModel(token_delay=0.1, max_message_seconds=1, min_message_seconds=2)

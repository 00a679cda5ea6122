"""The Demo model's own words, for teams without a script: every voice says something
concrete and different each turn, in the task's words, without quoting a quote; a
moderator moderates; and what a person just said (an answer, an interjection, a follow-up,
an edited message) is answered."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.engine import (
    AssistantAgent,
    DemoModel,
    GroupChat,
    GroupChatManager,
    HumanInput,
    Message,
    ModelRequest,
    Recording,
    RunControl,
    ScriptedHuman,
    StopReason,
    UserProxyAgent,
    events,
)
from studio.engine.models._demo_scene import computable
from studio.engine.models._demo_words import TaskWords

OPENING = re.compile(r"(?:^|(?<=[\s(\[:—–-]))[\"“]")  # a quote mark that opens a quotation
CLOSING = re.compile(r"[\"”](?=[\s.,;:!?)\]…]|$)")


def nests_a_quote(text: str) -> bool:
    """Whether ``text`` opens a quotation inside another one (``About x's point "y here.
    About z's point "…``), reading quote marks the way a person does: a mark after a space
    opens a quotation, a mark before a space or a stop closes one."""
    depth = 0
    for index, char in enumerate(text):
        if char not in "\"“”":
            continue
        opens = char == "“" or (char == '"' and OPENING.match(text, index) is not None
                                and not CLOSING.match(text, index))
        if opens:
            depth += 1
            if depth > 1:
                return True
        else:
            depth = max(0, depth - 1)
    return False


def test_the_nesting_check_sees_what_a_reader_sees() -> None:
    assert nests_a_quote('b here. About a\'s point "a here. About u\'s point "How…": fine": ok')
    assert not nests_a_quote('You asked: "Which one?" My answer: "the rota", for now.')
    assert not nests_a_quote('Shortlist for "Plan a picnic":\n1. A "soup" lunch.')


def group(task: str, model: DemoModel | None = None, control: RunControl | None = None,
          human: HumanInput = HumanInput.NEVER, max_round: int = 8):
    """The Builder's moderated group of three, in engine terms."""
    model = model or DemoModel()
    user = UserProxyAgent("user", human_input=human, max_consecutive_auto_reply=0)
    moderator = AssistantAgent("moderator", model=model, system_message=(
        "You moderate. First turn: restate the question and invite ideas. Next turn: sum up "
        "the best points in three lines and end with TERMINATE."))
    optimist = AssistantAgent("optimist", model=model, system_message=(
        "You are the optimist. Propose three concrete ideas, one line each."))
    realist = AssistantAgent("realist", model=model, system_message=(
        "You are the realist. For each idea, say in one line what it takes and how to make "
        "it easier."))
    graph = {user: [moderator], moderator: [optimist], optimist: [realist], realist: [moderator]}
    manager = GroupChatManager(GroupChat([user, moderator, optimist, realist],
                                         speaker_selection="round_robin", max_round=max_round,
                                         allowed_transitions=graph, transitions_type="allowed"),
                               model=model)
    return user.initiate_chat(manager, task, control=control or RunControl())


def replies(result) -> list[tuple[str, str]]:
    return [(m.name or "", m.text) for m in result.history[1:]]


def assert_reads_well(said: list[tuple[str, str]], task: str) -> None:
    """No quote inside a quote, no agent saying the same thing twice in a row, and each
    reply using the task's own words."""
    words = [w.lower() for w in TaskWords.of(task).keywords]
    last: dict[str, str] = {}
    for who, text in said:
        assert not nests_a_quote(text), f"{who} quotes a quote: {text}"
        assert last.get(who) != text, f"{who} said the same thing twice in a row: {text}"
        last[who] = text
        assert any(w in text.lower() for w in words), f"{who} does not use {words}: {text}"


@pytest.mark.parametrize("task", ["How can our class keep the classroom tidy?",
                                  "Get more teenagers to visit the Millbrook library on "
                                  "Friday evenings", "Reduce food waste in our school canteen."])
def test_a_moderated_group_discusses_the_task_and_the_moderator_moderates(task) -> None:
    result = group(task)
    said = replies(result)
    assert [who for who, _ in said] == ["moderator", "optimist", "realist"] * 2 + ["moderator"]
    assert_reads_well(said, task)
    opening, middle, closing = said[0][1], said[3][1], said[-1][1]
    assert TaskWords.of(task).question in opening  # restates the question, invites ideas
    assert re.search(r"over to you, (optimist|realist)", middle, re.I)  # gives the floor
    # sums up what was proposed (the optimist's ideas, by name) and closes
    proposed = re.findall(r"^\d\. ([^:]+):", said[1][1], re.M)
    assert len(proposed) == 3
    assert sum(idea.lower() in closing.lower() for idea in proposed) >= 2, closing
    assert closing.rstrip().endswith("TERMINATE") and "optimist and realist" in closing
    # the realist answers the optimist's list item by item, in one line each
    assert all(idea in said[2][1] for idea in proposed)


@pytest.mark.parametrize("agents", [["alice", "bob", "carol"], ["planner", "critic"],
                                    ["writer", "critic"], ["assistant", "helper"]])
def test_every_voice_moves_on_without_quoting_quotes(agents) -> None:
    task = "Plan a one-day workshop for teachers"
    model = DemoModel()
    history = [Message(role="user", content=task, name="user")]
    for turn in range(8):
        agent = agents[turn % len(agents)]
        system = Message(role="system", content=f"You are the {agent}.")
        response = model.complete(ModelRequest(messages=(system, *history), agent=agent))
        history.append(Message(role="assistant", content=response.content, name=agent))
        if response.content.rstrip().endswith("TERMINATE"):
            break
    said = [(m.name or "", m.text) for m in history[1:]]
    assert len(said) >= len(agents) * 2 - 1
    assert_reads_well(said, task)
    assert said[-1][1].rstrip().endswith("TERMINATE")


def test_replies_are_the_same_in_every_process() -> None:
    """Deterministic: no clock, no per-process hash seed behind the choice of words."""
    code = ("import json; from tests.engine.test_demo_voice import group, replies; "
            "print(json.dumps(replies(group('Make lunch breaks calmer'))))")
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, timeout=120, check=True,
                             cwd=Path(__file__).resolve().parents[2])
        outputs.add(run.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == [list(r) for r in replies(group("Make lunch breaks calmer"))]


def test_an_interjection_is_answered_in_its_own_words() -> None:
    control = RunControl()
    said_so_far: list[events.MessageSent] = []

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.MessageSent):
            said_so_far.append(event)
            if len(said_so_far) == 3:  # after the optimist's ideas
                control.interject("What about the bins by the door?")

    control._on_event = on_event
    result = group("How can our class keep the classroom tidy?", control=control)
    texts = [m.text for m in result.history]
    asked = texts.index("What about the bins by the door?")
    answer = texts[asked + 1]
    assert 'You asked: "What about the bins by the door?"' in answer
    assert not nests_a_quote(answer)
    # the discussion goes on a few turns about it, then ends
    assert texts[-1].rstrip().endswith("TERMINATE") and len(texts) > asked + 2


def test_a_persons_answers_are_taken_in_and_thanks_end_it() -> None:
    model = DemoModel()
    you = UserProxyAgent("you", human_input=HumanInput.ALWAYS)
    helper = AssistantAgent("helper", model=model, system_message=(
        "You are a helpful assistant. Draft what is asked and revise it with the person's "
        "feedback. When they are happy, end with TERMINATE."))
    human = ScriptedHuman(["Make it shorter, and say it is on Friday 14 June.", "Perfect, thanks!"],
                          then="")
    result = you.initiate_chat(helper, "Draft a note inviting parents to the science fair.",
                               control=RunControl(human=human))
    texts = [m.text for m in result.history]
    assert texts[1].startswith("First draft of a note inviting parents to the science fair")
    assert "make it shorter, and say it is on Friday 14 June" in texts[3]
    assert texts[3] != texts[1]
    assert texts[5].startswith("Glad it works for you.") and texts[5].endswith("TERMINATE")
    assert result.stop_reason == StopReason.TERMINATION


def test_a_forked_edit_changes_what_comes_next() -> None:
    task = "How can our class keep the classroom tidy?"
    recorded: list[events.Event] = []
    first = group(task, control=RunControl(on_event=recorded.append))
    original = [m.text for m in first.history]
    edit = "Only the reading corner is worth it: we have no time for the rest."
    forked: list[events.Event] = []
    cut = Recording.of(recorded, resume=False).until_message(2, edit)
    group(task, control=RunControl(on_event=forked.append, replay=cut, echo_replayed=True))
    texts = [e.message.content or "" for e in forked if isinstance(e, events.MessageSent)]
    assert texts[:2] == original[:2] and texts[2] == edit
    assert texts[3] != original[3]
    assert 'You said: "Only the reading corner is worth it' in texts[3]
    assert "the reading corner" in texts[-1]  # the moderator sums up what the person said
    assert all(not nests_a_quote(t) for t in texts)


def test_an_unscripted_group_resumes_after_any_message_with_the_same_words() -> None:
    task = "Reduce food waste in our school canteen."
    full: list[events.Event] = []
    group(task, control=RunControl(on_event=full.append))
    kept = [e for e in full if not e.transient]
    said = [e.message.content for e in kept if isinstance(e, events.MessageSent)]
    for cut in range(1, len(kept)):
        rest: list[events.Event] = []
        group(task, control=RunControl(on_event=rest.append, replay=Recording.of(kept[:cut])))
        again = [e.message.content for e in kept[:cut] + [e for e in rest if not e.transient]
                 if isinstance(e, events.MessageSent)]
        assert again == said, f"resumed after event {cut}"


def test_a_scripted_line_after_an_interjection_takes_the_persons_words_in() -> None:
    script = [{"agent": "planner", "content": "Step one: book the room."},
              {"agent": "critic", "content": "Fine by me. TERMINATE"}]
    model = DemoModel(script)
    planner = AssistantAgent("planner", model=model)
    critic = AssistantAgent("critic", model=model)
    control = RunControl()
    control.interject("Remember the budget is 200 euros.")
    result = planner.initiate_chat(critic, "Plan the party.", control=control)
    texts = [m.text for m in result.history]
    assert texts[1] == "Remember the budget is 200 euros."
    assert texts[2] == ('Taking in what you said ("Remember the budget is 200 euros."):\n\n'
                        "Fine by me. TERMINATE")


def test_a_persons_request_is_read_past_its_acknowledgement() -> None:
    from studio.engine.models._demo_scene import approves, count_asked, focus_of, request_of

    asked = "Good. Now narrow it to ideas that cost nothing, for a class of 8-year-olds."
    assert request_of(asked).startswith("Now narrow it")
    assert focus_of(asked) == "ideas that cost nothing, for a class of 8-year-olds"
    assert focus_of("OK, only the launch party is realistic.") == "the launch party"
    assert not approves("Thanks! Now make it shorter for grandparents.")
    assert approves("Thanks, agreed.") and approves("Looks good to me, thanks.")
    assert (count_asked("Please give me only two ideas."), count_asked("Plan it for four.")) \
        == (2, 0)
    # a task that joins two verbs keeps its object as the topic
    assert TaskWords.of("Write and test a function that adds numbers").topic \
        == "a function that adds numbers"


def test_a_nested_chat_about_a_new_request_ends_with_the_writers_rewrite() -> None:
    # the second chat opens from a nested chat's message template: its request is read back
    model = DemoModel(task_formats=("{task}", "Request: {task}"))
    writer = AssistantAgent("writer", model=model,
                            system_message="You write short pieces; ask the critic first.")
    critic = AssistantAgent("critic", model=model, system_message="You review drafts.")
    writer.initiate_chat(critic, "Write a four-line poem about the sea.", max_turns=2)
    again = writer.initiate_chat(critic, "Request: Make it rhyme and aim it at children.",
                                 max_turns=4)
    said = [(m.name, m.text) for m in again.history]
    assert [who for who, _ in said[1:]] == ["critic", "writer", "critic", "writer"], said
    assert "make it rhyme and aim it at children" in said[1][1].lower()
    assert said[-1][1].startswith("Final version") and "TERMINATE" in said[-1][1]
    assert "make it rhyme and aim it at children" in said[-1][1]


def test_a_coder_asked_for_no_code_writes_none() -> None:
    model = DemoModel()
    system = Message(role="system", content="You are the coder. Write Python code.")
    said = (system, Message(role="user", name="user", content="Count the words in a text."),
            Message(role="assistant", name="coder", content="```python\nprint(1)\n```"),
            Message(role="user", name="user", content="exitcode: 0\nCode output: 1"),
            Message(role="user", name="user", meta={"human": True},
                    content="Thanks. Only a plan for the class party this time, no code."))
    answer = model.complete(ModelRequest(messages=said, agent="coder")).content or ""
    assert "```" not in answer and answer.rstrip().endswith("TERMINATE"), answer
    assert "Only a plan for the class party this time" in answer


def test_a_request_goes_on_a_sentence_lower_case_and_a_name_keeps_its_capital() -> None:
    from studio.engine.models._demo_voice import _low

    # "Aim" is no everyday word the model knows, but a verb with its object is no name
    assert _low("Aim it at children") == "aim it at children"
    assert _low("Trim the middle part") == "trim the middle part"
    assert _low("Maria and the team") == "Maria and the team"
    assert _low("NASA rules") == "NASA rules"


def test_a_motion_or_an_errand_is_about_its_thing() -> None:
    from studio.engine.models._demo_words import TaskWords

    assert TaskWords.of("Homework should be abolished in primary schools.").topic == "homework"
    assert TaskWords.of("Schools must ban phones").topic == "schools"
    assert TaskWords.of("Put a clean mug in the coffee machine.").topic == \
        "a clean mug in the coffee machine"
    assert TaskWords.of("The library should open on Fridays.").topic == "the library"


@pytest.mark.parametrize(("task", "name"), [
    ("Maria should lead the team", "Maria"),
    ("Priya and the coach should pick the squad.", "Priya"),
    ("English should be taught from age five", "English"),
])
def test_a_name_that_starts_the_task_keeps_its_capital(task, name) -> None:
    words = TaskWords.of(task)
    # "maria": the topic, the keywords and the debate's question lost the capital
    assert words.topic.startswith(name) and words.keywords[0] == name, words
    assert name in words.names and f" {name} " in words.question, words
    for common in ("Homework should be abolished.", "Chess should be taught in schools.",
                   "Cities should make public transport free.", "Every student should learn."):
        said = TaskWords.of(common)
        assert said.request[:1].islower() and not said.names, said


def test_a_team_on_a_persons_motion_names_them() -> None:
    said = " ".join(text for _, text in replies(group("Maria should lead the team")))
    assert "Maria" in said and "maria" not in said, said


def test_a_coder_takes_a_program_it_is_asked_to_write_for_code() -> None:
    """A program the task names ("write a haiku generator") is something code can do: the
    coder writes its script, where it said it had nothing to compute."""
    model = DemoModel()
    system = Message(role="system", content="You are the coder. Write Python code.")
    said = (system, Message(role="user", name="planner",
                            content="Plan and write a haiku generator."))
    answer = model.complete(ModelRequest(messages=said, agent="coder")).content or ""
    assert "```python" in answer and "TERMINATE" not in answer, answer
    for task in ("Build a unit converter", "Automate the weekly report", "Debug this loop"):
        assert computable(task), task
    assert not computable("Plan a school trip to the museum.")


def test_a_list_item_goes_on_a_sentence_lower_case_unless_it_is_a_name() -> None:
    from studio.engine import Message
    from studio.engine.models._demo_scene import Scene

    said = (Message(role="user", content="Ideas for the Millbrook library and for Maria's "
                    "class, please."),
            Message(role="assistant", name="dreamer", content="1. Kids' treasure hunt\n"
                    "2. Adopt-a-bed for a month\n3. Millbrook quiz night\n4. NASA day\n"
                    "5. Maria's reading hour"))
    scene = Scene(agent="facilitator", voice="moderator", task=TaskWords.of("ideas"),
                  said=said, turn=2, ending=False)
    # "start with Kids' treasure hunt", "my answer is Adopt-a-bed" read as names
    assert scene.in_sentence("Kids' treasure hunt") == "kids' treasure hunt"
    assert scene.in_sentence("Adopt-a-bed for a month") == "adopt-a-bed for a month"
    # a name the conversation writes with its capital mid-sentence keeps it, and so do
    # capitals inside a word
    assert scene.in_sentence("Millbrook quiz night") == "Millbrook quiz night"
    assert scene.in_sentence("Maria's reading hour") == "Maria's reading hour"
    assert scene.in_sentence("NASA day") == "NASA day"


def test_the_default_assistant_answers_in_words_what_code_cannot_do() -> None:
    """An assistant told to write code "when code would help" (the engine's default) is no
    coder: on a task code cannot do it takes part in words and leaves the chat going (a
    two-agent chat ended at once on "Nothing for me to compute in 'Talk.'")."""
    from studio.engine._agent import DEFAULT_ASSISTANT_SYSTEM_MESSAGE

    system = Message(role="system", content=DEFAULT_ASSISTANT_SYSTEM_MESSAGE)
    said = (system, Message(role="user", name="ana", content="Plan a school trip."))
    answer = DemoModel().complete(ModelRequest(messages=said, agent="ben")).content or ""
    assert "```" not in answer and "Nothing for me to compute" not in answer, answer
    assert "TERMINATE" not in answer, answer
    counted = (system, Message(role="user", name="ana", content="Count the words in a text."))
    answer = DemoModel().complete(ModelRequest(messages=counted, agent="ben")).content or ""
    assert "```python" in answer, answer

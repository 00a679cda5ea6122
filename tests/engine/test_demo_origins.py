"""The Demo model tells a person's words from a team member's by where they came from (the
marks put in a message's meta where the words entered the conversation), never by who
speaks: in a team that mixes it with another model, that agent speaking again is an agent
speaking, while a real follow-up, an interjection, an answer and a forked edit are still
answered as the person's."""

from __future__ import annotations

import re

import pytest

from studio.engine import (
    AssistantAgent,
    ConversableAgent,
    DemoModel,
    HumanInput,
    Message,
    Recording,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    events,
)

TASK = "Plan a class trip to the science museum."
# how the Demo model takes a person's words in: a reply starting "You asked/said", a
# scripted line after "Taking in", a draft "changed as you asked" with "Your change"
TO_A_PERSON = re.compile(r"^(?:You (?:asked|said)|Taking in)\b|\bas you asked\b|"
                         r"\bYour change\b", re.M)


def answers_a_person(text: str, words: str = "") -> bool:
    """Whether the Demo model's reply takes a person's words in (``words`` among them)."""
    return bool(TO_A_PERSON.search(text)) and words.lower().rstrip(".?!") in text.lower()
QUESTION = "Which day of the week suits the museum best?"


def other_model(kind: str):
    """The opener's model: scripted replies, or a second Demo model of its own."""
    if kind == "scripted":
        return ScriptedModel([QUESTION, "Then let us book the bus as well.",
                              "Agreed, that settles it."], then="Thanks. TERMINATE")
    return DemoModel()


def pair(kind: str, **lead: object) -> tuple[ConversableAgent, AssistantAgent]:
    """``lead`` opens the chat and is driven by another model; ``helper`` by the Demo model."""
    options = {"human_input": HumanInput.NEVER, **lead}
    planner = ConversableAgent("lead", model=other_model(kind),
                               system_message="You organise the trip and ask the helper.",
                               **options)  # type: ignore[arg-type]
    helper = AssistantAgent("helper", model=DemoModel(), system_message=(
        "You are a helpful assistant. Draft what is asked and revise it with feedback."))
    return planner, helper


def texts(history: list[Message]) -> list[tuple[str, str]]:
    return [(m.name or "", m.text) for m in history]


@pytest.mark.parametrize("kind", ["scripted", "demo"])
def test_the_opener_driven_by_another_model_speaking_again_is_not_a_person(kind: str) -> None:
    lead, helper = pair(kind)
    result = lead.initiate_chat(helper, TASK, max_turns=3, control=RunControl())
    said = texts(result.history)
    assert [who for who, _ in said] == ["lead", "helper"] * 3
    assert not result.history[2].meta.get("human")  # the model wrote it
    for who, text in said[1:]:
        if who == "helper":
            assert not answers_a_person(text), f"lead's words taken for a person's: {text}"


def test_a_follow_up_the_person_sends_is_answered_as_theirs() -> None:
    lead, helper = pair("scripted")
    control = RunControl()
    lead.initiate_chat(helper, TASK, max_turns=2, control=control)
    follow_up = Message(role="user", content="Could we go on a Friday instead?", name="lead",
                        meta={"human": True, "followup": True})
    again = lead.initiate_chat(helper, follow_up, max_turns=1, clear_history=False,
                               control=control)
    assert again.history[-2].text == "Could we go on a Friday instead?"
    assert answers_a_person(again.history[-1].text, "Could we go on a Friday instead?")
    # the same words sent by a program (no mark) are the lead's, as the lead's question was
    lead, helper = pair("scripted")
    lead.initiate_chat(helper, TASK, max_turns=2, control=control)
    again = lead.initiate_chat(helper, "Could we go on a Friday instead?", max_turns=1,
                               clear_history=False, control=control)
    assert not answers_a_person(again.history[-1].text), again.history[-1].text


def test_an_interjection_in_a_mixed_team_is_answered_as_the_persons() -> None:
    lead, helper = pair("scripted")
    control = RunControl()
    sent: list[events.MessageSent] = []

    def on_event(event: events.Event) -> None:
        if isinstance(event, events.MessageSent):
            sent.append(event)
            if len(sent) == 3:  # after lead's (model-written) question, before helper replies
                control.interject("Keep it under 10 euros each, please.")

    control._on_event = on_event
    result = lead.initiate_chat(helper, TASK, max_turns=3, control=control)
    said = texts(result.history)
    asked = said.index(("human", "Keep it under 10 euros each, please."))
    assert said[asked + 1][0] == "helper"
    assert answers_a_person(said[asked + 1][1], "keep it under 10 euros each, please")
    assert not any(answers_a_person(text) for who, text in said[:asked] if who == "helper")


def test_a_persons_answer_for_the_opener_is_theirs_and_the_openers_own_reply_is_not() -> None:
    # the person is asked before each of lead's replies: the first time they leave it to
    # lead's model, the second time they answer themselves
    human = ScriptedHuman(["", "Make it a Friday and bring packed lunches."], then="exit")
    lead, helper = pair("scripted", human_input=HumanInput.ALWAYS)
    result = lead.initiate_chat(helper, TASK, max_turns=3, control=RunControl(human=human))
    said = texts(result.history)
    assert said[2] == ("lead", QUESTION) and not result.history[2].meta.get("human")
    assert not answers_a_person(said[3][1]), said[3][1]
    assert said[4] == ("lead", "Make it a Friday and bring packed lunches.")
    assert result.history[4].meta.get("human")
    assert answers_a_person(said[5][1], "make it a Friday and bring packed lunches"), said[5]


def test_a_forked_edit_of_the_other_models_message_is_answered_as_the_persons() -> None:
    recorded: list[events.Event] = []
    lead, helper = pair("scripted")
    first = lead.initiate_chat(helper, TASK, max_turns=3,
                               control=RunControl(on_event=recorded.append))
    edit = "Only Tuesdays are free for our class: plan around that."
    cut = Recording.of(recorded, resume=False).until_message(2, edit)
    assert cut.messages[2].meta.get("edited") and cut.messages[2].text == edit
    assert not cut.messages[1].meta.get("edited")
    forked: list[events.Event] = []
    lead, helper = pair("scripted")
    lead.initiate_chat(helper, TASK, max_turns=3,
                       control=RunControl(on_event=forked.append, replay=cut, echo_replayed=True))
    said = [(e.sender, e.message.content or "") for e in forked if isinstance(e, events.MessageSent)]
    assert said[:3] == [*texts(first.history)[:2], ("lead", edit)]
    assert said[3][0] == "helper" and answers_a_person(said[3][1], edit[:30]), said[3]
    # lead's next message is model-written again: the reply to it is to lead, not the person
    assert said[4][0] == "lead" and not answers_a_person(said[5][1]), said[5]


def test_forking_without_changing_the_words_marks_nothing() -> None:
    recorded: list[events.Event] = []
    lead, helper = pair("scripted")
    first = lead.initiate_chat(helper, TASK, max_turns=2,
                               control=RunControl(on_event=recorded.append))
    cut = Recording.of(recorded, resume=False).until_message(2, first.history[2].text)
    assert not cut.messages[2].meta.get("edited")

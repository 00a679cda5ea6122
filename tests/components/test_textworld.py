"""The household text world behind the decision-making template: goals read from the
task, the rules of the house, and common-sense facts that follow the state."""

from __future__ import annotations

import json

import pytest
from studio.components.tools._textworld import GoalError, parse_goal, replay

from studio.engine import Message, ToolCall, ToolContext
from studio.spec import Registry


def goals(task: str) -> list[str]:
    return [r.describe() for r in parse_goal(task)]


def test_goals_come_from_the_task():
    assert goals("Put a clean mug in the coffee machine.") == ["a clean mug in/on a coffeemachine"]
    assert goals("Put the milk on the countertop.") == ["a milk in/on a countertop"]
    assert goals("Heat an apple in the microwave, then put it on the dining table together "
                 "with a clean plate.") == ["a hot apple in/on a diningtable",
                                            "a clean plate in/on a diningtable"]
    assert goals("Cool a tomato and put it in the cupboard next to the sink") == [
        "a cold tomato in/on a cabinet"]
    assert goals("put two eggs in cabinet 2") == ["an egg in/on cabinet 2"] * 2
    assert goals("Put a hot potato and a cold apple on the shelf") == [
        "a hot potato in/on a shelf", "a cold apple in/on a shelf"]
    with pytest.raises(GoalError, match="Name an object and where it should go"):
        parse_goal("make me a sandwich")


def test_the_house_has_rules():
    world = replay("Put a clean mug in the coffee machine.", [])
    assert world.step("take mug from cabinet 1") == "Nothing happens."  # not there yet
    assert world.step("go to cabinet 1") == "You arrive at cabinet 1. The cabinet 1 is closed."
    assert world.step("take mug from cabinet 1") == "Nothing happens."  # still closed
    assert world.step("open cabinet 1") == "You open the cabinet 1. In it, you see: mug."
    assert world.step("take mug from cabinet 1") == "You pick up the mug from the cabinet 1."
    assert world.step("go to coffeemachine 1").startswith("You arrive at coffeemachine 1.")
    said = world.step("put mug in/on coffeemachine 1")
    assert said == "You put the mug in/on the coffeemachine 1."  # not clean: not done
    assert world.step("take mug from coffeemachine 1").startswith("You pick up")
    world.step("go to sinkbasin 1")
    assert world.step("clean mug with sinkbasin 1") == "You clean the mug using the sinkbasin 1."
    world.step("go to coffeemachine 1")
    assert world.step("put mug in/on coffeemachine 1").endswith("Task complete!")
    assert world.step("go to fridge 1") == "The task is already complete."


def test_one_thing_at_a_time_and_any_place_of_the_kind():
    world = replay("Put the milk on the countertop.", [
        "go to countertop 1", "take bread from countertop 1", "go to fridge 1", "open fridge 1"])
    assert world.step("take milk from fridge 1") == "Nothing happens."  # hands full
    assert "your hands are full" in world.facts()
    for command in ("go to countertop 1", "put bread in/on countertop 1", "go to fridge 1",
                    "take milk from fridge 1", "go to countertop 2"):
        assert world.step(command) != "Nothing happens.", command
    assert world.step("put milk in/on countertop 2").endswith("Task complete!")


def test_common_sense_follows_the_state():
    task = "Heat an apple in the microwave, then put it on the dining table with a clean plate."
    start = replay(task, []).facts()
    assert "find an apple (usually on the countertop or in the fridge) and take it" in start
    assert "Still to do for a hot apple in/on a diningtable" in start
    assert "heat apple with microwave 1" in start
    assert "Closed places you have not looked into yet: cabinet 1, cabinet 2" in start
    stuck = replay(task, ["go to microwave 1", "heat apple with microwave 1"]).facts()
    assert stuck.startswith("1. Your last action 'heat apple with microwave 1' did nothing "
                            "because you must be holding the apple to heat it")
    later = replay(task, ["go to countertop 1", "take apple from countertop 1",
                          "go to microwave 1", "heat apple with microwave 1",
                          "go to diningtable 1", "put apple in/on diningtable 1",
                          "go to cabinet 2", "open cabinet 2"]).facts()
    assert "hot apple" not in later  # done with the apple
    assert "Still to do for a clean plate in/on a diningtable" in later
    assert "cabinet 2" not in later.split("not looked into yet:")[-1]
    tries = replay(task, ["go to fridge 1", "take apple from fridge 1",
                          "take apple from fridge 1"]).facts()
    assert "You repeated 'take apple from fridge 1'" in tries


def _context(task: str, calls: list[tuple[str, str]], current: ToolCall) -> ToolContext:
    """The environment's conversation: the task, earlier act calls with their results, and
    the message holding the current call."""
    messages = [Message(role="user", content=task, name="environment")]
    for i, (command, result) in enumerate(calls):
        call = ToolCall(id=f"c{i}", name="act", arguments=json.dumps({"command": command}))
        messages += [Message(role="assistant", name="assistant", tool_calls=(call,)),
                     Message(role="tool", content=result, tool_call_id=call.id, name="act")]
    messages.append(Message(role="assistant", name="assistant", tool_calls=(current,)))
    return ToolContext(agent="environment", call_id=current.id, messages=tuple(messages))


def test_the_tools_rebuild_the_world_from_the_conversation():
    registry = Registry.bundled()
    act = registry.tools["act"].tool()
    facts = registry.tools["common_sense"].tool()
    assert "context" not in json.dumps(act.parameters)  # the model never sees it
    assert facts.parameters["properties"] == {}
    task = "Put the milk on the countertop."
    history = [("go to fridge 1", "..."), ("open fridge 1", "..."),
               ("take milk from fridge 1", "..."), ("go to countertop 1", "...")]
    call = ToolCall(id="now", name="act", arguments='{"command": "put milk in/on countertop 1"}')
    content, is_error = act.invoke(call.arguments, _context(task, history, call))
    assert (content, is_error) == ("You put the milk in/on the countertop 1. Task complete!", False)
    # an interrupted call never ran, so it does not count
    history[2] = ("take milk from fridge 1", "USER INTERRUPTED")
    content, _ = act.invoke(call.arguments, _context(task, history, call))
    assert content == "Nothing happens."
    hint = ToolCall(id="hint", name="common_sense", arguments="{}")
    history.append(("put milk in/on countertop 1", "Nothing happens."))
    said, _ = facts.invoke("{}", _context(task, history, hint))
    assert said.startswith("1. Your last action 'put milk in/on countertop 1' did nothing "
                           "because you are not holding a milk")
    unknown = ToolCall(id="x", name="act", arguments='{"command": "look"}')
    said, _ = act.invoke(unknown.arguments, _context("Sing a song", [], unknown))
    assert said.startswith("I could not find a goal in the task.")

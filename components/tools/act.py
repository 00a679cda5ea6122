from studio.components.tools._textworld import GoalError, world_after

from studio.engine import ToolContext


def act(command: str, context: ToolContext) -> str:
    """Carry out one action in the household and return what you observe.

    The goal comes from the task. Actions: "look", "inventory", "go to PLACE",
    "open PLACE", "close PLACE", "take THING from PLACE", "put THING in/on PLACE",
    "clean THING with sinkbasin 1", "heat THING with microwave 1",
    "cool THING with fridge 1", "examine THING". You can carry one thing at a time; closed
    places (cabinets, drawers, the fridge, the microwave) must be opened first. An action
    that is not possible answers "Nothing happens."

    Args:
        command: One action, e.g. "go to cabinet 1" or "take mug from cabinet 1".
    """
    try:
        world = world_after(context.task, context.earlier_calls("act"))
    except GoalError as exc:
        return str(exc)
    return world.step(command)

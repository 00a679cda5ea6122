from studio.components.tools._textworld import GoalError, world_after

from studio.engine import ToolContext


def common_sense(context: ToolContext) -> str:
    """Common-sense facts about the household that fit the situation right now.

    Says why the last action did nothing, what is still to do for the task and in which
    order, where such objects are usually kept, and which closed places have not been
    looked into. It never acts.
    """
    try:
        world = world_after(context.task, context.earlier_calls("act"))
    except GoalError as exc:
        return str(exc)
    return world.facts()

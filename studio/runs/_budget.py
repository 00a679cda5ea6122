"""A member's budget: runs at a time, and tokens and cost per day.

The run manager checks all three before a run starts; a run that is going is checked
after each message that used a model (see :class:`~studio.runs._execution.Execution`), so
a long run stops when the day's tokens or cost run out, not only the next one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from studio.store import Actor, Budget, Store

BUDGET_WINDOW = 24 * 3600.0  # "per day": the last 24 hours


def limits_usage(budget: Budget) -> bool:
    """Whether the budget limits tokens or cost (else nothing a run uses can reach it)."""
    return budget.tokens_per_day is not None or budget.cost_per_day is not None


def daily_limit_reached(store: Store, actor: Actor, budget: Budget) -> str | None:
    """The sentence saying which daily limit the actor's runs have reached, or None."""
    if not limits_usage(budget):
        return None
    tokens, cost = store.usage_since(actor, time.time() - BUDGET_WINDOW)
    if budget.tokens_per_day is not None and tokens >= budget.tokens_per_day:
        return (f"Budget reached: your runs used {tokens:,} tokens in the last 24 hours, and "
                f"your budget is {budget.tokens_per_day:,} a day.")
    if budget.cost_per_day is not None and cost >= budget.cost_per_day:
        return (f"Budget reached: your runs cost ${cost:.4f} in the last 24 hours, and your "
                f"budget is ${budget.cost_per_day:.2f} a day.")
    return None

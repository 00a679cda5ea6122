"""The run manager's one error type: its message says what to do."""

from __future__ import annotations


class RunError(Exception):
    """A run cannot be started or controlled as asked (unknown run, nothing to answer...)."""


class BudgetExceeded(RunError):
    """The member's budget (tokens or cost per day, runs at once) does not allow this run."""

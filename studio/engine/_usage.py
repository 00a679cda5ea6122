"""Token usage and cost, per agent and per model."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# USD per 1M tokens (input, output). A model config can override with its own price.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o1": (15.00, 60.00),
    "o1-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def price_for(model: str, override: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """The (input, output) USD price per 1M tokens, or None when unknown (cost counts as 0)."""
    if override is not None:
        return override
    if model in PRICES:
        return PRICES[model]
    # dated snapshots such as "gpt-4o-2024-08-06" share the base model's price
    for name in sorted(PRICES, key=len, reverse=True):
        if model.startswith(name + "-"):
            return PRICES[name]
    return None


def cost_of(model: str, prompt_tokens: int, completion_tokens: int,
            override: tuple[float, float] | None = None) -> float:
    price = price_for(model, override)
    if price is None:
        return 0.0
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


@dataclass(frozen=True)
class Usage:
    """What one model call used."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    model: str = ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cost": self.cost,
            "model": self.model,
        }


@dataclass
class _Tally:
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0

    def add(self, usage: Usage) -> None:
        self.calls += 1
        self.prompt_tokens += usage.prompt_tokens
        self.completion_tokens += usage.completion_tokens
        self.cost += usage.cost

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "cost": round(self.cost, 6),
        }


@dataclass
class UsageTracker:
    """Sums usage per agent and per model (thread-safe)."""

    by_agent: dict[str, _Tally] = field(default_factory=dict)
    by_model: dict[str, _Tally] = field(default_factory=dict)
    total: _Tally = field(default_factory=_Tally)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, agent: str, usage: Usage) -> None:
        with self._lock:
            self.by_agent.setdefault(agent, _Tally()).add(usage)
            self.by_model.setdefault(usage.model or "unknown", _Tally()).add(usage)
            self.total.add(usage)

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total.to_dict(),
                "by_agent": {k: v.to_dict() for k, v in self.by_agent.items()},
                "by_model": {k: v.to_dict() for k, v in self.by_model.items()},
            }

"""Each agent gets its own colour and avatar, stable within a run."""

from __future__ import annotations

from dataclasses import dataclass

# (Streamlit markdown colour, hex for graphs/SVG, avatar)
_PALETTE: tuple[tuple[str, str, str], ...] = (
    ("blue", "#1c83e1", "🤖"),
    ("green", "#21a35b", "🦉"),
    ("orange", "#e07b00", "🦊"),
    ("violet", "#803df5", "🐙"),
    ("red", "#e0433f", "🐝"),
    ("gray", "#6b6f80", "🐢"),
)
_HUMAN = ("gray", "#808495", "🙋")
HUMAN_NAMES = {"human", "you", "user"}


@dataclass(frozen=True)
class Look:
    colour: str
    hex: str
    avatar: str


def look_for(name: str, agents: list[str], *, human: bool = False) -> Look:
    """The look of ``name`` given the run's ordered agent names."""
    if human or name.lower() in HUMAN_NAMES:
        return Look(*_HUMAN)
    if name in agents:
        return Look(*_PALETTE[agents.index(name) % len(_PALETTE)])
    return Look(*_PALETTE[sum(map(ord, name)) % len(_PALETTE)])


def human_agents(spec_agents: list[tuple[str, str]]) -> set[str]:
    """Names of user-proxy agents (they speak for the human)."""
    return {name for name, kind in spec_agents if kind in ("user_proxy", "retrieve_user_proxy")}

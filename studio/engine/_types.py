"""Small typed settings and results shared by agents and chats."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from ._messages import Message


class HumanInput(StrEnum):
    ALWAYS = "always"
    TERMINATE = "terminate"
    NEVER = "never"


class StopReason(StrEnum):
    TERMINATION = "termination message"
    MAX_TURNS = "max turns"
    MAX_AUTO_REPLIES = "max auto-replies"
    HUMAN_EXIT = "human exit"
    NO_REPLY = "no reply"
    NO_NEXT_SPEAKER = "no next speaker"
    MAX_ROUNDS = "max rounds"
    MAX_MESSAGES = "max messages"
    ERROR = "error"
    CANCELLED = "cancelled"


class ConfigError(ValueError):
    """The team is misconfigured; raised at once, before anything runs."""


TERMINATE = "TERMINATE"


@dataclass(frozen=True)
class Termination:
    """When a message ends the conversation.

    ``kind`` is ends_with (default), exact, contains or regex; the text is compared
    after stripping white space.
    """

    kind: Literal["ends_with", "exact", "contains", "regex"] = "ends_with"
    value: str = TERMINATE
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in ("ends_with", "exact", "contains", "regex"):
            raise ConfigError(f"unknown termination kind {self.kind!r}: use ends_with, exact, contains or regex")
        if self.kind == "regex":
            try:
                object.__setattr__(self, "_pattern", re.compile(self.value))
            except re.error as exc:
                raise ConfigError(f"termination regex {self.value!r} is invalid: {exc}") from exc

    @classmethod
    def ends_with(cls, text: str = TERMINATE) -> Termination:
        return cls("ends_with", text)

    @classmethod
    def exact(cls, text: str = TERMINATE) -> Termination:
        return cls("exact", text)

    @classmethod
    def contains(cls, text: str = TERMINATE) -> Termination:
        return cls("contains", text)

    @classmethod
    def regex(cls, pattern: str) -> Termination:
        return cls("regex", pattern)

    def __call__(self, message: Message) -> bool:
        text = (message.content or "").strip()
        if not text:
            return False
        if self.kind == "ends_with":
            return text.endswith(self.value)
        if self.kind == "exact":
            return text == self.value
        if self.kind == "contains":
            return self.value in text
        assert self._pattern is not None
        return self._pattern.search(text) is not None


def strip_terminate(text: str | None) -> str:
    """The text without a trailing (or lone) TERMINATE marker."""
    cleaned = (text or "").strip()
    if cleaned.endswith(TERMINATE):
        cleaned = cleaned[: -len(TERMINATE)].rstrip()
    return cleaned


@dataclass
class ChatResult:
    """What a chat produced and why it stopped."""

    chat_id: str
    history: list[Message]
    summary: str
    stop_reason: StopReason
    usage: dict[str, Any] = field(default_factory=dict)
    human_inputs: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def cost(self) -> float:
        return float(self.usage.get("total", {}).get("cost", 0.0))

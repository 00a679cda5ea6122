"""Plain, immutable records the store hands back to callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RUN_STATUSES = ("queued", "running", "finished", "failed", "cancelled", "interrupted")
LIVE_STATUSES = RUN_STATUSES[:2]  # queued: waiting for a worker
FINAL_STATUSES = RUN_STATUSES[2:]


@dataclass(frozen=True)
class TemplateInfo:
    """A template as listed: its name and what its latest version says about itself."""

    name: str
    description: str
    tags: tuple[str, ...]
    latest_version: int
    created_at: float
    updated_at: float
    deleted_at: float | None = None
    owner_id: int | None = None
    owner_name: str = ""  # "" for the personal-mode user
    shared: bool = False

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True)
class TemplateVersion:
    """One saved version of a template (every save makes a new one)."""

    name: str
    version: int
    document: dict[str, Any]
    description: str = ""
    tags: tuple[str, ...] = ()
    note: str = ""
    created_at: float = 0.0


@dataclass(frozen=True)
class RunInfo:
    """A run: a template snapshot plus a task, its status and totals."""

    id: str
    template_name: str
    task: str
    model_label: str
    status: str
    reason: str
    summary: str
    started_at: float
    finished_at: float | None
    total_tokens: int
    cost: float
    usage: dict[str, Any]
    work_dir: str | None
    template_snapshot: dict[str, Any] = field(repr=False, default_factory=dict)
    owner_id: int | None = None
    holder: str | None = None  # the lease of the process executing it
    mode: str = "local"  # local | celery
    options: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # studio | cli | api ('' for runs recorded before sources were)
    api_key_id: int | None = None

    @property
    def duration(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


@dataclass(frozen=True)
class RunEvent:
    """One persisted transcript item of a run, in ``seq`` order."""

    run_id: str
    seq: int
    kind: str
    data: dict[str, Any]
    chat_id: str = ""
    depth: int = 0
    sender: str = ""
    recipient: str = ""
    role: str | None = None
    content: str | None = None
    created_at: float = 0.0


@dataclass(frozen=True)
class ModelConfig:
    """A saved model connection. The API key is only a reference: the NAME of an environment
    variable (``api_key_env``) or of a stored secret (``api_key_secret``), never the key."""

    name: str
    provider: str = ""
    model: str = ""
    base_url: str | None = None
    api_type: str = "openai"
    api_version: str | None = None
    api_key_env: str | None = None
    api_key_secret: str | None = None
    price_input: float | None = None
    price_output: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    shared: bool = False  # offered to every member of the workshop (administrators' models)
    owner_id: int | None = field(default=None, compare=False)  # set by the store

    @property
    def price(self) -> tuple[float, float] | None:
        """The (input, output) USD per 1M tokens override, or None."""
        if self.price_input is None or self.price_output is None:
            return None
        return (self.price_input, self.price_output)


@dataclass(frozen=True)
class SecretInfo:
    """A stored secret as shown to people: its name and a masked preview only."""

    name: str
    preview: str
    updated_at: float
    host: str | None = None  # the only host:port the key is ever sent to


@dataclass(frozen=True)
class CustomTool:
    """A user-made tool: Python source defining a documented function."""

    name: str
    source: str
    description: str = ""
    updated_at: float = 0.0


@dataclass(frozen=True)
class Account:
    """A person who can sign in (shared mode). Never holds the password hash."""

    id: int
    name: str
    display_name: str
    role: str
    created_at: float
    disabled_at: float | None = None
    last_seen_at: float | None = None
    budget: dict[str, Any] = field(default_factory=dict)
    sso: bool = False

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def label(self) -> str:
        return self.display_name or self.name


def mask_secret(value: str) -> str:
    """``sk-...abcd`` style preview: never more than a short prefix and the last 4 chars."""
    if len(value) <= 8:
        return "*" * len(value) if value else ""
    prefix = value[:3] if value[:3].isascii() and "-" in value[:4] else ""
    return f"{prefix}...{value[-4:]}"


@dataclass(frozen=True)
class ApiKey:
    """A key callers of `roundtable serve` present (never the key itself: only its first
    characters, ``prefix``, to tell keys apart)."""

    id: int
    name: str
    prefix: str
    owner_id: int | None
    rate_limit: int | None  # requests a minute; None: the service's default
    created_at: float
    last_used_at: float | None = None
    revoked_at: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

"""SQLModel tables: the current schema as the queries see it.

The database itself is created and changed only by the Alembic revisions in
``migrations/versions/``; a test checks that the migrated schema matches these classes.
Times are UTC epoch seconds. ``owner_id`` NULL means the personal-mode user (owned by the
administrators); names are unique per owner (an index on ``coalesce(owner_id, 0), name``).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlmodel import Field, SQLModel


def now() -> float:
    return time.time()


def _json(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _owner(table: str) -> Any:
    return Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", name=f"fk_{table}_owner"), nullable=True, index=True))


def _flag() -> Any:
    return Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))


class AccountRow(SQLModel, table=True):
    __tablename__ = "account"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)  # the sign-in name, lower case
    display_name: str = ""
    role: str = "member"  # admin | member
    password_hash: str | None = Field(default=None, repr=False)
    oidc_issuer: str | None = None
    oidc_subject: str | None = None
    budget: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float = Field(default_factory=now)
    disabled_at: float | None = None
    last_seen_at: float | None = None


class AccountSessionRow(SQLModel, table=True):
    __tablename__ = "account_session"
    token_hash: str = Field(primary_key=True)  # sha256 of the cookie's token, never the token
    account_id: int = Field(sa_column=Column(
        Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True))
    # the sign-in it belongs to (signing out ends them all); "" for rows made before 0007
    family: str = Field(default="", sa_column=Column(String, nullable=False, server_default="",
                                                     index=True))
    kind: str = Field(default="session", sa_column=Column(  # "session" or a cookie "ticket"
        String, nullable=False, server_default="session"))
    created_at: float = Field(default_factory=now)
    expires_at: float
    last_seen_at: float = Field(default_factory=now)


class SignInAttemptRow(SQLModel, table=True):
    __tablename__ = "sign_in_attempt"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    ok: bool
    at: float = Field(default_factory=now)


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=True))
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    saved_as: str | None = None
    updated_at: float = Field(default_factory=now)


class TemplateRow(SQLModel, table=True):
    __tablename__ = "template"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = _owner("template")
    shared: bool = _flag()
    name: str = Field(index=True)
    description: str = ""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    latest_version: int = 0
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)
    deleted_at: float | None = None


class TemplateVersionRow(SQLModel, table=True):
    __tablename__ = "template_version"
    __table_args__ = (UniqueConstraint("template_id", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(
        sa_column=Column(Integer, ForeignKey("template.id", ondelete="CASCADE"), nullable=False)
    )
    version: int
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    description: str = ""
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = ""
    created_at: float = Field(default_factory=now)


class RunRow(SQLModel, table=True):
    __tablename__ = "run"
    __table_args__ = (Index("ix_run_owner_started", "owner_id", "started_at"),)
    id: str = Field(primary_key=True)
    template_name: str = Field(index=True)
    template_snapshot: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    task: str = Field(sa_column=Column(Text, nullable=False))
    model_label: str = ""
    status: str = Field(default="running", index=True)
    reason: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False))
    started_at: float = Field(default_factory=now, index=True)
    finished_at: float | None = None
    total_tokens: int = 0
    cost: float = 0.0
    usage: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    work_dir: str | None = None
    owner: str = ""  # the PROCESS that started it (host|boot id|pid), not a person
    owner_id: int | None = _owner("run")  # the person who started it
    # Who executes the run: the id of a LeaseRow (a process with a heartbeat), NULL while a
    # run waits in the broker's queue. ``mode``: "local" (a thread of the process that started
    # it) or "celery" (a worker). ``options``: how it was started (model, human), so another
    # worker can take it over.
    holder: str | None = Field(default=None, index=True)
    mode: str = "local"
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    api_key_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("api_key.id", name="fk_run_api_key", ondelete="SET NULL"),
        nullable=True))


class RunEventRow(SQLModel, table=True):
    __tablename__ = "run_event"
    __table_args__ = (UniqueConstraint("run_id", "seq"),)
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    run_id: str = Field(
        sa_column=Column(Text, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    seq: int
    kind: str
    chat_id: str = ""
    depth: int = 0
    sender: str = ""
    recipient: str = ""
    role: str | None = None
    content: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float = Field(default_factory=now)


class LeaseRow(SQLModel, table=True):
    """A live process that may hold runs: a studio, a CLI run or a Celery worker. It renews
    ``expires_at`` while it lives; once that has passed, its runs are orphans. ``machine``
    (boot id and pid namespace), ``pid`` and ``proc_start`` (its start time in clock ticks)
    let a process on the same machine see at once that the holder has died."""

    __tablename__ = "lease"
    id: str = Field(primary_key=True)
    kind: str = ""  # studio | cli | worker
    host: str = ""
    pid: int = 0
    machine: str = ""
    proc_start: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    started_at: float = Field(default_factory=now)
    expires_at: float = Field(default=0.0, index=True)


class ModelConfigRow(SQLModel, table=True):
    __tablename__ = "model_config"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = _owner("model_config")
    shared: bool = _flag()
    name: str = Field(index=True)
    provider: str = ""
    model: str = ""
    base_url: str | None = None
    api_type: str = "openai"
    api_version: str | None = None
    api_key_env: str | None = None
    api_key_secret: str | None = None
    price_input: float | None = None
    price_output: float | None = None
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)


class SecretRow(SQLModel, table=True):
    __tablename__ = "secret"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = _owner("secret")
    name: str = Field(index=True)
    value: str = Field(repr=False, sa_column=Column(Text, nullable=False))  # Fernet token
    host: str | None = None  # the only host this key may be sent to
    encrypted: bool = _flag()
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)


class CustomToolRow(SQLModel, table=True):
    __tablename__ = "custom_tool"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = _owner("custom_tool")
    name: str = Field(index=True)
    source: str = Field(sa_column=Column(Text, nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)


class ApiKeyRow(SQLModel, table=True):
    """A key for `roundtable serve`'s callers: only its SHA-256 is kept (keys are long and
    random, so a fast hash is safe); ``prefix`` shows which key is which."""

    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = _owner("api_key")  # the administrator who made it
    name: str
    prefix: str
    key_hash: str = Field(unique=True, index=True, repr=False)
    rate_limit: int | None = None  # requests a minute; None: the service's default
    created_at: float = Field(default_factory=now)
    last_used_at: float | None = None
    revoked_at: float | None = None


class SettingRow(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: float = Field(default_factory=now)


class DocumentCollectionRow(SQLModel, table=True):
    __tablename__ = "document_collection"
    id: int | None = Field(default=None, primary_key=True)
    owner_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("account.id", name="fk_document_collection_owner",
                            ondelete="CASCADE"), nullable=True, index=True))
    name: str = Field(index=True)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    chunk_size: int = 1000
    embedding_config: str | None = None  # the model configuration that serves embeddings
    embedding_model: str | None = None  # the embeddings model's name at that endpoint
    created_at: float = Field(default_factory=now)
    updated_at: float = Field(default_factory=now)


class DocumentRow(SQLModel, table=True):
    __tablename__ = "document"
    id: int | None = Field(default=None, primary_key=True)
    collection_id: int = Field(sa_column=Column(
        Integer, ForeignKey("document_collection.id", name="fk_document_collection",
                            ondelete="CASCADE"), nullable=False, index=True))
    source: str  # the file's name
    kind: str  # pdf | docx | html | markdown | text
    size: int = 0  # bytes of the file
    sha256: str = ""
    chars: int = 0  # characters of text found in it
    added_at: float = Field(default_factory=now)


class DocumentChunkRow(SQLModel, table=True):
    __tablename__ = "document_chunk"
    id: int | None = Field(default=None, primary_key=True)
    document_id: int = Field(sa_column=Column(
        Integer, ForeignKey("document.id", name="fk_document_chunk_document",
                            ondelete="CASCADE"), nullable=False, index=True))
    collection_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    position: int  # its place among the chunks of its document
    text: str = Field(sa_column=Column(Text, nullable=False))
    location: str = ""
    # JSON with SQL NULL for "none yet" (not the JSON value null), so "IS NULL" finds them
    embedding: list[float] | None = Field(default=None, sa_column=Column(
        JSON(none_as_null=True), nullable=True))


ALL_TABLES: tuple[type[SQLModel], ...] = (
    AccountRow,
    AccountSessionRow,
    SignInAttemptRow,
    DraftRow,
    TemplateRow,
    TemplateVersionRow,
    RunRow,
    RunEventRow,
    LeaseRow,
    ModelConfigRow,
    SecretRow,
    CustomToolRow,
    ApiKeyRow,
    SettingRow,
    DocumentCollectionRow,
    DocumentRow,
    DocumentChunkRow,
)

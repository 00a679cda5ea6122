"""The shapes the HTTP API takes and gives, as pydantic models (its OpenAPI description).

The native API (``/api/...``) and the OpenAI-compatible one (``/v1/...``) share one error
shape, OpenAI's: ``{"error": {"message": ..., "type": ..., "code": ...}}``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TASK = 20_000  # characters: a task, a reply, an interjection
MAX_CODE = 200_000  # characters of edited code in a code decision


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors --------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    message: str = Field(description="What went wrong and what to do about it.")
    type: str = Field(description="invalid_request_error | authentication_error | "
                                  "not_found_error | conflict_error | rate_limit_error | "
                                  "server_error")
    code: str | None = Field(default=None, description="A stable code for programs "
                                                       "(e.g. template_not_found).")


class ErrorBody(BaseModel):
    error: ErrorDetail


# -- templates -----------------------------------------------------------------------------
class TemplateOut(BaseModel):
    name: str = Field(description="The name to use in URLs and as the OpenAI 'model'.")
    title: str = Field(description="The template's display name.")
    description: str
    pattern: str = Field(description="two_agent | sequence | group")
    agents: list[str]
    models: list[str] = Field(description="The model choices a run may ask for; the first "
                                          "(\"template\": the template's own models) is the "
                                          "default.")
    sample_tasks: list[str]


class TemplateList(BaseModel):
    templates: list[TemplateOut]


# -- runs ----------------------------------------------------------------------------------
class StartRun(_Strict):
    task: str = Field(default="", max_length=MAX_TASK,
                      description="What the team should do. Empty: the template's first sample "
                                  "task.")
    model: str | None = Field(default=None, max_length=200,
                              description="One of the template's model choices (see GET "
                                          "/api/templates/{name}); default: \"template\".")
    human: Literal["api", "never"] = Field(
        default="api",
        description="api: the agents' questions to a human wait for an answer over this API "
                    "(POST /api/runs/{id}/answer); never: nobody is asked (replies are "
                    "empty, code waiting for approval is refused).")


class CodeBlockOut(BaseModel):
    language: str
    code: str


PendingKind = Literal["reply", "speaker", "code_approval"]


class PendingRequest(BaseModel):
    kind: PendingKind = Field(
        description="reply: answer with text (empty lets the agent reply itself, 'exit' "
                    "ends the chat); speaker: answer with one of 'options'; code_approval: "
                    "answer with a decision.")
    agent: str
    prompt: str
    options: list[str] = Field(default_factory=list)
    code: list[CodeBlockOut] = Field(default_factory=list,
                                     description="code_approval: the code asking to run.")


class RunLinks(BaseModel):
    self: str
    events: str
    transcript: str


class RunOut(BaseModel):
    id: str
    template: str
    task: str
    model: str
    status: str = Field(description="queued | running | waiting (for an answer) | paused | "
                                    "finished | failed | cancelled | interrupted")
    reason: str = ""
    summary: str = ""
    error: str | None = None
    started_at: float
    finished_at: float | None = None
    last_seq: int = Field(0, description="The seq of the run's latest event.")
    usage: dict[str, Any] = Field(default_factory=dict)
    pending: PendingRequest | None = None
    links: RunLinks


class RunList(BaseModel):
    runs: list[RunOut]


class CodeDecisionIn(_Strict):
    action: Literal["approve", "refuse", "edit"]
    reason: str = Field(default="", max_length=MAX_TASK,
                        description="refuse: why (the agents read it).")
    code: str = Field(default="", max_length=MAX_CODE,
                      description="edit: the code to run instead.")


class AnswerIn(_Strict):
    text: str | None = Field(default=None, max_length=MAX_TASK,
                             description="The reply, or the name of the next speaker.")
    decision: CodeDecisionIn | None = Field(default=None,
                                            description="For a code approval.")


class InterjectIn(_Strict):
    text: str = Field(min_length=1, max_length=MAX_TASK)


class TranscriptOut(BaseModel):
    run: RunOut
    events: list[dict[str, Any]] = Field(description="The stored events in seq order: the "
                                                     "same objects as `roundtable run "
                                                     "--json` prints, token deltas left out.")


# -- OpenAI-compatible ---------------------------------------------------------------------
class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str = Field(max_length=50)
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """OpenAI's request body. ``model`` is a served template's name; the last user message
    is the task. Sampling parameters, tools and the like are accepted and ignored (the
    team's own models and settings decide)."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(max_length=200)
    messages: list[ChatMessageIn] = Field(min_length=1)
    stream: bool | None = False
    stream_options: StreamOptions | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"] = "stop"


class CompletionUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(BaseModel):
    id: str = Field(description="chatcmpl-<run id>: the run is in the studio's History.")
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "roundtable"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    keys_required: bool = Field(description="Whether calls need an API key.")
    runner: str = Field(description="in-process | celery: where runs execute.")

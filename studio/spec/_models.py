"""The declarative team format, version 1: pydantic models.

A template holds everything needed to run a team except secrets. Field shapes are
checked here; cross references (names, edges, tools, models) are checked by
:mod:`studio.spec._validate`, which reports every problem with its path.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from studio.engine import HumanInput

FORMAT_VERSION: Literal[1] = 1
NAME_PATTERN = r"^[a-zA-Z0-9_-]{1,64}$"  # what the OpenAI API accepts as a message name


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class AgentKind(StrEnum):
    ASSISTANT = "assistant"
    USER_PROXY = "user_proxy"
    CONVERSABLE = "conversable"
    RETRIEVE_USER_PROXY = "retrieve_user_proxy"  # a user proxy that sends document passages

    @property
    def is_proxy(self) -> bool:
        """Stands for the person (a human-input agent without a model of its own)."""
        return self in (AgentKind.USER_PROXY, AgentKind.RETRIEVE_USER_PROXY)


# The engine's own modes: a template names exactly what the engine runs.
HumanInputMode = HumanInput


class PatternKind(StrEnum):
    TWO_AGENT = "two_agent"
    SEQUENCE = "sequence"
    GROUP = "group"


SummaryMethod = Literal["last_msg", "reflection"]
Provider = Literal[
    "openai", "azure", "ollama", "lmstudio", "vllm", "llamacpp", "openai_compatible", "demo", "local"
]


# -- models ------------------------------------------------------------------------------
class ModelConfig(_Spec):
    """An inline model configuration (OpenAI-compatible unless provider is demo/local).

    API keys are never stored: ``api_key_env`` names an environment variable and
    ``api_key_secret`` a secret kept in the studio's store. ``preset`` starts from a
    registry preset (its base URL, key variable...) and overrides what is given here.
    """

    preset: str | None = None
    provider: Provider | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    api_key_secret: str | None = None
    api_version: str | None = None  # Azure only
    label: str | None = None
    # How long to wait for the server to start answering (and between streamed pieces),
    # and how many more attempts a failure that may pass gets; None: the model's defaults.
    timeout: float | None = Field(default=None, gt=0, le=3600)
    retries: int | None = Field(default=None, ge=0, le=10)


ModelRef = str | ModelConfig  # a preset / stored config name, or an inline config


class ModelSettings(_Spec):
    """Sampling settings passed with every request of one agent."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    top_p: float | None = Field(default=None, ge=0, le=1)
    seed: int | None = None


# -- tools -------------------------------------------------------------------------------
class ToolSpec(_Spec):
    """An inline tool: the Python source of one plain, documented function ``name``."""

    name: str
    description: str = ""
    source: str


# -- agents ------------------------------------------------------------------------------
class TerminationSpec(_Spec):
    """When a message received by this agent ends the conversation."""

    kind: Literal["ends_with", "exact", "contains", "regex"] = "ends_with"
    value: str = "TERMINATE"
    max_messages: int | None = Field(default=None, ge=1)  # stop once the history holds this many
    max_turns: int | None = Field(default=None, ge=1)  # stop after this agent replied this often


class ClearanceSpec(_Spec):
    """Run only code that ``agent`` checked with ``tool`` and declared SAFE (the safeguard)."""

    agent: str
    tool: str = "check_code"


class CodeExecutionSpec(_Spec):
    executor: Literal["none", "local", "docker"] = "none"
    timeout: int = Field(default=60, ge=1, le=3600)
    image: str | None = None  # docker only; default python:3-slim equivalent of the executor
    network: bool = False  # docker only: let the container reach the network
    approve: bool = False  # ask the human before running each piece of code
    cleared_by: ClearanceSpec | None = None  # run only code this reviewer has cleared


class NestedChatSpec(_Spec):
    """Before replying, the agent consults ``recipient`` and replies with the summary."""

    recipient: str
    message: str | None = None  # None: the message the agent received; may use {message}
    max_turns: int = Field(default=1, ge=1)
    summary_method: SummaryMethod = "last_msg"


class DocumentSpec(_Spec):
    """A document written into the template, so sample documents travel with it."""

    source: str = Field(min_length=1)  # a file name: "handbook.md" (.md is read as Markdown)
    text: str


class RetrievalSpec(_Spec):
    """Where a retrieval proxy finds passages, and how many it sends at a time."""

    collection: str | None = None  # a document collection kept in the studio, by name
    documents: list[DocumentSpec] = Field(default_factory=list)  # used without a collection
    n_results: int = Field(default=3, ge=1, le=20)  # passages per message
    task: Literal["qa", "code"] = "qa"  # answer questions, or write code from documentation
    update_context: bool = True  # on UPDATE CONTEXT, send the next passages by itself
    chunk_size: int = Field(default=1000, ge=200, le=8000)  # characters, template documents


class AgentSpec(_Spec):
    name: str
    kind: AgentKind = AgentKind.ASSISTANT
    description: str = ""
    system_message: str | None = None  # None: the kind's default
    model: str | None = None  # a key of ``models``, or a preset / stored config name
    model_settings: ModelSettings | None = None
    human_input: HumanInputMode | None = None  # None: the kind's default
    max_consecutive_auto_reply: int | None = Field(default=None, ge=0)
    termination: TerminationSpec | None = None
    tools: list[str | ToolSpec] = Field(default_factory=list)  # offered to this agent's model
    execute_tools: list[str] = Field(default_factory=list)  # run for others (register_for_execution)
    code_execution: CodeExecutionSpec | None = None
    default_auto_reply: str = ""
    nested_chats: list[NestedChatSpec] = Field(default_factory=list)
    stream: bool = False
    # expected final answers by task: a \boxed{} answer to one of these tasks is checked
    # with code (studio.engine.AnswerKey) before the agent's other replies
    answer_key: dict[str, str] = Field(default_factory=dict)
    retrieval: RetrievalSpec | None = None  # retrieve_user_proxy only


# -- pattern -----------------------------------------------------------------------------
class EdgeSpec(_Spec):
    """One edge of the conversation graph.

    group: ``target`` may speak after ``source``. two_agent: ``source`` starts a chat
    with ``target``. sequence: one chat, ``source`` -> ``target``, run in ``order``.
    """

    source: str
    target: str
    order: int | None = None  # sequence only (default: list order)
    message: str | None = None  # sequence only; may use {task}; default: the pattern message
    max_turns: int | None = Field(default=None, ge=1)  # sequence only
    summary_method: SummaryMethod | None = None  # sequence only
    carryover: bool = True  # sequence only: give this chat the earlier summaries as Context


class GroupSettings(_Spec):
    speaker_selection: Literal["auto", "round_robin", "random", "manual"] = "auto"
    max_round: int = Field(default=12, ge=1)
    allow_repeat_speaker: bool = False
    send_introductions: bool = False
    selector_model: str | None = None  # model choosing speakers (auto); default: starter's
    manager_name: str = "chat_manager"


class PatternSpec(_Spec):
    kind: PatternKind
    starter: str | None = None  # who sends the first message
    message: str = "{task}"  # the first message; {task} is replaced by the task
    edges: list[EdgeSpec] = Field(default_factory=list)
    max_turns: int | None = Field(default=None, ge=1)  # two_agent
    summary_method: SummaryMethod = "last_msg"
    summary_prompt: str | None = None
    group: GroupSettings | None = None  # group only (defaults apply when omitted)


# -- demo script, layout, template ----------------------------------------------------------
class DemoToolCall(_Spec):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class DemoTurn(_Spec):
    """One turn the Demo model replays: ``{agent, content}`` or ``{agent, tool_calls}``."""

    agent: str
    content: str | None = None
    tool_calls: list[DemoToolCall] | None = None


class DemoScriptSpec(_Spec):
    """The conversation the Demo model rehearses for ``task`` (one of the sample tasks, as
    typed); without ``task``, for any task no other script knows, using ``{{placeholders}}``
    such as ``{{topic}}`` to speak about it (see ``studio.engine.models._demo_script``)."""

    task: str | None = None
    turns: list[DemoTurn] = Field(default_factory=list)


class Position(_Spec):
    x: float
    y: float


class TemplateSpec(_Spec):
    format: Literal[1] = FORMAT_VERSION
    name: str = Field(min_length=1)
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    models: dict[str, ModelRef] = Field(default_factory=dict)
    agents: list[AgentSpec] = Field(default_factory=list)
    tools: list[ToolSpec] = Field(default_factory=list)
    pattern: PatternSpec
    sample_tasks: list[str] = Field(default_factory=list)
    demo_scripts: list[DemoScriptSpec] = Field(default_factory=list)
    layout: dict[str, Position] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_script_of_old(cls, data: Any) -> Any:
        """Templates written before ``demo_scripts`` had one ``demo_script``: the
        conversation of the first sample task."""
        if not isinstance(data, dict) or "demo_script" not in data:
            return data
        data = dict(data)
        turns = data.pop("demo_script") or []
        if turns:
            tasks = data.get("sample_tasks") or []
            first = tasks[0] if tasks and isinstance(tasks[0], str) else None
            data["demo_scripts"] = [{"task": first, "turns": turns},
                                    *(data.get("demo_scripts") or [])]
        return data

    # -- helpers used by the builder, the canvas and the runner ---------------------------
    def agent(self, name: str) -> AgentSpec:
        for agent in self.agents:
            if agent.name == name:
                return agent
        raise KeyError(f"no agent named {name!r} in template {self.name!r}")

    @property
    def agent_names(self) -> list[str]:
        return [a.name for a in self.agents]

    @property
    def default_task(self) -> str:
        return self.sample_tasks[0] if self.sample_tasks else ""

    def demo_scripts_dicts(self) -> list[dict[str, Any]]:
        """The demo scripts as plain dicts, the shape ``DemoModel(scripts=...)`` takes."""
        return [s.model_dump(mode="json", exclude_none=True) for s in self.demo_scripts]

    @property
    def task_formats(self) -> list[str]:
        """The templates of the opening messages (``"Challenge: {task}"``): the Demo model
        reads the task back from them."""
        formats = [self.pattern.message, *(e.message for e in self.pattern.edges if e.message)]
        if "{task}" in self.pattern.message:  # a nested chat's {message} is the opening one
            formats += [n.message.replace("{message}", self.pattern.message)
                        for a in self.agents for n in a.nested_chats
                        if n.message and "{message}" in n.message]
        return list(dict.fromkeys(f for f in formats if "{task}" in f)) or ["{task}"]

    def demo_options(self) -> dict[str, Any]:
        """What ``DemoModel(**...)`` needs to rehearse this team: scripts and task formats."""
        return {"scripts": self.demo_scripts_dicts(), "task_formats": self.task_formats}

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-ready dict: defaults left out, ``format`` always present."""
        data = self.model_dump(mode="json", exclude_defaults=True)
        # An agent's kind is always written: it says at a glance what the agent is.
        data["agents"] = [{"name": a["name"], "kind": agent.kind.value, **a}
                          for a, agent in zip(data.get("agents", []), self.agents, strict=True)]
        return {"format": FORMAT_VERSION, **data}

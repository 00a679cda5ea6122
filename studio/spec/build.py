"""Build engine objects from a template and run them: ``build_team(spec).run(task)``.

The graph is the pattern: two_agent runs the one edge as a chat, sequence runs the
edges as chats in order (with carryover), group runs a group chat whose allowed
transitions are exactly the edges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._io import default_registry
from ._models import (
    AgentKind,
    AgentSpec,
    HumanInputMode,
    PatternKind,
    TemplateSpec,
    TerminationSpec,
    ToolSpec,
)
from ._resolve import BuildError, ModelResolver, default_model_resolver
from ._retrieval import CollectionResolver, retrieval_options
from ._tool_source import ToolSourceError, make_tool
from ._validate import group_members, sequence_edges

TOOL_TIMEOUT = 60  # seconds a call to a tool that is not bundled may take (in the sandbox)

if TYPE_CHECKING:
    from studio.engine import (
        ChatResult,
        CodeExecutor,
        ConversableAgent,
        GroupChatManager,
        ModelClient,
        RunControl,
        StopReason,
        Tool,
    )

    from .registry import Registry

__all__ = ["BuildError", "Team", "TeamResult", "build_team", "default_model_resolver"]


@dataclass
class TeamResult:
    """What a team run produced: every top-level chat, why it stopped, the final summary."""

    chats: list[ChatResult]
    stop_reason: StopReason
    summary: str
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def messages(self) -> list[Any]:
        """Every message of the top-level chats, in order."""
        return [m for chat in self.chats for m in chat.history]


@dataclass
class Team:
    """Engine agents wired as the template says; :meth:`run` starts the pattern."""

    spec: TemplateSpec
    agents: dict[str, ConversableAgent]
    work_dir: Path
    manager: GroupChatManager | None = None
    models: dict[str, ModelClient] = field(default_factory=dict)
    executors: list[Any] = field(default_factory=list)  # besides the agents' (tools' sandbox)

    def first_message(self, task: str, template: str | None = None) -> str:
        return (template if template is not None else self.spec.pattern.message).replace(
            "{task}", task)

    def run(self, task: str | None = None, control: RunControl | None = None, *,
            followup: str | Sequence[str] | None = None) -> TeamResult:
        """Run the team on ``task`` (default: the first sample task). When it ends, the code
        sandbox's hold on the run (its cgroup, the work dir's own file system) is released;
        the files stay in the work dir.

        ``followup``: once the pattern's chats are over (typically replayed from a recorded
        run), continue the conversation with this message (or these, one after the other:
        a run continued more than once): the starter sends each in a new chat that keeps
        the history (a sequence continues its last chat), marked in its meta as a person's
        (``human``, ``followup``)."""
        try:
            return self._run(task, control, followup)
        finally:
            self.release()

    def _follow_up(self, message: str, control: RunControl) -> Any:
        from studio.engine import Message

        pattern = self.spec.pattern
        if pattern.kind == PatternKind.SEQUENCE:
            edge = sequence_edges(self.spec)[-1]
            sender, recipient, turns = self.agents[edge.source], self.agents[edge.target], \
                edge.max_turns
        else:
            sender = self.agents[pattern.starter or ""]
            recipient = (self.manager if pattern.kind == PatternKind.GROUP and self.manager
                         else self.agents[pattern.edges[0].target])
            turns = pattern.max_turns
        # the person's words, sent in the starter's name: marked as theirs (the run record
        # keeps the mark, so a model answering them knows whose they are, now and on replay)
        first = Message(role="user", content=message, name=sender.name,
                        meta={"human": True, "followup": True})
        return sender.initiate_chat(recipient, first, max_turns=turns, clear_history=False,
                                    summary_method=pattern.summary_method,
                                    summary_prompt=pattern.summary_prompt, control=control)

    def release(self) -> None:
        """Let go of what the executors hold for this run (they take it again if used)."""
        for executor in [*(a.code_executor for a in self.agents.values()), *self.executors]:
            cleanup = getattr(executor, "cleanup", None)
            if cleanup is not None:
                cleanup()

    def _run(self, task: str | None, control: RunControl | None,
             followup: str | Sequence[str] | None = None) -> TeamResult:
        from studio.engine import ChatSpec, RunControl, StopReason, events, initiate_chats

        control = control or RunControl()
        task = self.spec.default_task if task is None else task
        pattern = self.spec.pattern
        control.emit(events.RunStarted(task=task))
        if pattern.kind == PatternKind.SEQUENCE:
            specs = [
                ChatSpec(
                    self.agents[e.source], self.agents[e.target],
                    message=self.first_message(task, e.message),
                    max_turns=e.max_turns,
                    summary_method=e.summary_method or pattern.summary_method,
                    summary_prompt=pattern.summary_prompt, carryover=e.carryover,
                )
                for e in sequence_edges(self.spec)
            ]
            chats = initiate_chats(specs, control=control)
        else:
            starter = self.agents[pattern.starter or ""]
            if pattern.kind == PatternKind.GROUP:
                assert self.manager is not None
                recipient: ConversableAgent = self.manager
            else:
                recipient = self.agents[pattern.edges[0].target]
            chats = [starter.initiate_chat(
                recipient, self.first_message(task), max_turns=pattern.max_turns,
                summary_method=pattern.summary_method, summary_prompt=pattern.summary_prompt,
                control=control,
            )]
        for text in [followup] if isinstance(followup, str) else list(followup or ()):
            if chats[-1].stop_reason in (StopReason.CANCELLED, StopReason.ERROR):
                break
            chats = [*chats, self._follow_up(text, control)]
        last = chats[-1]
        stopped = next((c for c in chats if c.stop_reason in (StopReason.CANCELLED,
                                                               StopReason.ERROR)), last)
        usage = control.usage.to_dict()
        result = TeamResult(chats=list(chats), stop_reason=stopped.stop_reason,
                            summary=last.summary, usage=usage, error=stopped.error)
        control.emit(events.RunFinished(reason=str(result.stop_reason), summary=result.summary,
                                        usage=usage))
        return result


def build_team(
    spec: TemplateSpec,
    *,
    resolve_model: ModelResolver | None = None,
    registry: Registry | None = None,
    work_dir: Path,
    model_override: ModelClient | None = None,
    human_input_override: str | None = None,
    allow_unsandboxed: bool = False,
    resolve_collection: CollectionResolver | None = None,
) -> Team:
    """Create the engine agents, tools, executors and group manager of ``spec``.

    ``resolve_model(name)`` gets a model name: a key of ``spec.models`` that holds an
    inline config, or a preset / stored config name (aliases to names are followed
    here). By default it is :func:`default_model_resolver` over ``spec.models``.
    ``model_override`` replaces every model (agents and speaker selection).
    ``human_input_override`` sets the human-input mode of every user proxy and
    conversable agent ("never" applies to every agent: an unattended run).
    ``allow_unsandboxed`` lets local code run without bubblewrap where it is missing
    (the studio's Settings); otherwise such code is refused with what to install.
    ``resolve_collection(name)`` gives the retriever of a stored document collection
    (the studio passes one that knows who is acting).
    """
    registry = registry or default_registry()
    if resolve_model is None:
        resolve_model = default_model_resolver(registry, spec.demo_options(),
                                               configs=spec.models)
    if human_input_override is not None and human_input_override not in set(HumanInputMode):
        raise BuildError(f"human_input_override must be always, terminate or never, "
                         f"not {human_input_override!r}")
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    builder = _Builder(spec, registry, resolve_model, work_dir, model_override,
                       human_input_override, allow_unsandboxed, resolve_collection)
    return builder.build()


class _Builder:
    def __init__(self, spec: TemplateSpec, registry: Registry, resolve: ModelResolver,
                 work_dir: Path, override: ModelClient | None, human: str | None,
                 allow_unsandboxed: bool = False,
                 resolve_collection: CollectionResolver | None = None) -> None:
        self.spec = spec
        self.registry = registry
        self.resolve = resolve
        self.work_dir = work_dir
        self.override = override
        self.human = human
        self.allow_unsandboxed = allow_unsandboxed
        self.resolve_collection = resolve_collection
        self.models: dict[str, ModelClient] = {}
        self.tools: dict[str, Tool] = {}
        self.tool_executor: CodeExecutor | None = None

    def build(self) -> Team:
        agents = {a.name: self.agent(i, a) for i, a in enumerate(self.spec.agents)}
        for i, spec in enumerate(self.spec.agents):
            self.nested(i, spec, agents)
        manager = self.group(agents) if self.spec.pattern.kind == PatternKind.GROUP else None
        return Team(spec=self.spec, agents=agents, work_dir=self.work_dir, manager=manager,
                    models=dict(self.models),
                    executors=[self.tool_executor] if self.tool_executor is not None else [])

    # -- models ------------------------------------------------------------------------------
    def model(self, ref: str, path: str, agent: str | None = None) -> ModelClient:
        if self.override is not None:
            return self.override
        name, seen = ref, set()
        while isinstance(self.spec.models.get(name), str) and name not in seen:
            seen.add(name)
            name = self.spec.models[name]  # type: ignore[assignment]
        if name not in self.models:
            try:
                self.models[name] = self.resolve(name)
            except BuildError as exc:
                raise BuildError(exc.reason, path=path, agent=agent) from exc
            except Exception as exc:  # a client refusing its config (ModelError...)
                raise BuildError(f"model {name!r}: {exc}", path=path, agent=agent) from exc
        return self.models[name]

    # -- agents ------------------------------------------------------------------------------
    def agent(self, index: int, spec: AgentSpec) -> ConversableAgent:
        from studio.engine import (
            AssistantAgent,
            ConversableAgent,
            RetrieveUserProxyAgent,
            UserProxyAgent,
        )

        path = f"agents[{index}]"
        kwargs: dict[str, Any] = {"description": spec.description, "stream": spec.stream,
                                  "default_auto_reply": spec.default_auto_reply}
        if spec.system_message is not None:
            kwargs["system_message"] = spec.system_message
        if spec.model is not None:
            kwargs["model"] = self.model(spec.model, f"{path}.model", spec.name)
        elif spec.kind == AgentKind.ASSISTANT and self.override is not None:
            kwargs["model"] = self.override
        if spec.model_settings is not None:
            kwargs["model_settings"] = spec.model_settings.model_dump(exclude_none=True)
        human = self.human_input(spec)
        if human is not None:
            kwargs["human_input"] = human
        if spec.max_consecutive_auto_reply is not None:
            kwargs["max_consecutive_auto_reply"] = spec.max_consecutive_auto_reply
        if spec.termination is not None:
            kwargs["is_termination"] = _termination(spec.termination)
        kwargs["tools"] = [self.tool(t, f"{path}.tools[{j}]", spec.name)
                           for j, t in enumerate(spec.tools)]
        kwargs["tools_for_execution"] = [self.tool(t, f"{path}.execute_tools[{j}]", spec.name)
                                         for j, t in enumerate(spec.execute_tools)]
        code = spec.code_execution
        if code is not None and code.executor != "none":
            kwargs["code_executor"] = self.executor(spec, path)
            kwargs["approve_code"] = code.approve
            if code.cleared_by is not None:
                from studio.engine import ClearedBy

                kwargs["code_gate"] = ClearedBy(code.cleared_by.agent, tool=code.cleared_by.tool)
        if spec.kind == AgentKind.RETRIEVE_USER_PROXY:
            kwargs.update(retrieval_options(spec.retrieval, path, spec.name,
                                            self.resolve_collection))
        cls = {AgentKind.ASSISTANT: AssistantAgent, AgentKind.USER_PROXY: UserProxyAgent,
               AgentKind.CONVERSABLE: ConversableAgent,
               AgentKind.RETRIEVE_USER_PROXY: RetrieveUserProxyAgent}[spec.kind]
        try:
            agent = cls(spec.name, **kwargs)
        except ValueError as exc:
            raise BuildError(str(exc), path=path, agent=spec.name) from exc
        if spec.termination is not None:
            _limit_replies(agent, spec.termination)
        if spec.answer_key:
            from studio.engine import AnswerKey

            agent.register_reply(AnswerKey(spec.answer_key))
        return agent

    def human_input(self, spec: AgentSpec) -> str | None:
        if self.human is not None and (self.human == HumanInputMode.NEVER
                                       or spec.kind != AgentKind.ASSISTANT):
            return self.human
        return spec.human_input.value if spec.human_input is not None else None

    def tool(self, ref: str | ToolSpec, path: str, agent: str) -> Tool:
        inline: ToolSpec | None
        if isinstance(ref, ToolSpec):
            inline = ref
        else:
            inline = next((t for t in self.spec.tools if t.name == ref), None)
            if inline is None and ref not in self.registry.tools:
                raise BuildError(f"unknown tool {ref!r}", path=path, agent=agent)
        name = inline.name if inline is not None else str(ref)
        if name not in self.tools:
            try:
                if inline is not None:  # the template's own source: never run in-process
                    self.tools[name] = make_tool(inline.name, inline.source, inline.description,
                                                 sandbox=self.tool_sandbox())
                else:
                    registered = self.registry.tools[name]
                    self.tools[name] = registered.tool(
                        None if registered.origin == "bundled" else self.tool_sandbox())
            except ToolSourceError as exc:
                raise BuildError(str(exc), path=path, agent=agent) from exc
        return self.tools[name]

    def tool_sandbox(self) -> CodeExecutor:
        """Where the tools that are not bundled run: the run's bubblewrap sandbox (or, when
        allowed in Settings and bubblewrap is missing, a separate process), in the work dir."""
        if self.tool_executor is None:
            from studio.engine.code import LocalExecutor

            self.tool_executor = LocalExecutor(work_dir=self.work_dir, timeout=TOOL_TIMEOUT,
                                               allow_unsandboxed=self.allow_unsandboxed)
        return self.tool_executor

    def executor(self, spec: AgentSpec, path: str) -> CodeExecutor:
        code = spec.code_execution
        assert code is not None
        try:
            if code.executor == "local":
                from studio.engine.code import LocalExecutor

                return LocalExecutor(work_dir=self.work_dir, timeout=code.timeout,
                                     allow_unsandboxed=self.allow_unsandboxed)
            from studio.engine.code import DockerExecutor

            options: dict[str, Any] = {"work_dir": self.work_dir, "timeout": code.timeout,
                                       "network": code.network}
            if code.image:
                options["image"] = code.image
            return DockerExecutor(**options)
        except ImportError as exc:
            raise BuildError(f"the {code.executor} code executor is not available: {exc}",
                             path=f"{path}.code_execution.executor", agent=spec.name) from exc
        except Exception as exc:  # CodeExecutionError: no engine, missing image...
            raise BuildError(f"the {code.executor} code executor cannot start: {exc}",
                             path=f"{path}.code_execution", agent=spec.name) from exc

    def nested(self, index: int, spec: AgentSpec, agents: dict[str, ConversableAgent]) -> None:
        from studio.engine import NestedChat

        if not spec.nested_chats:
            return
        chats = []
        for j, nested in enumerate(spec.nested_chats):
            if nested.recipient not in agents:
                raise BuildError(f"unknown agent {nested.recipient!r}",
                                 path=f"agents[{index}].nested_chats[{j}].recipient",
                                 agent=spec.name)
            chats.append(NestedChat(recipient=agents[nested.recipient], message=nested.message,
                                    max_turns=nested.max_turns,
                                    summary_method=nested.summary_method))
        agents[spec.name].register_nested_chats(chats)

    # -- group -------------------------------------------------------------------------------
    def group(self, agents: dict[str, ConversableAgent]) -> GroupChatManager:
        from studio.engine import GroupChat, GroupChatManager

        pattern = self.spec.pattern
        settings = pattern.group
        members = [agents[n] for n in group_members(self.spec) if n in agents]
        graph: dict[ConversableAgent, list[ConversableAgent]] = {m: [] for m in members}
        for edge in pattern.edges:
            source, target = agents[edge.source], agents[edge.target]
            if target not in graph[source]:
                graph[source].append(target)
        if settings is not None and settings.allow_repeat_speaker:
            for member in members:
                if member not in graph[member]:
                    graph[member].append(member)
        selection = settings.speaker_selection if settings else "auto"
        selector: ModelClient | None = None
        if selection == "auto":
            selector = self.selector(members)
        try:
            chat = GroupChat(
                members, max_round=settings.max_round if settings else 12,
                speaker_selection=selection, allowed_transitions=graph,
                transitions_type="allowed",
                send_introductions=settings.send_introductions if settings else False,
            )
            return GroupChatManager(chat, name=settings.manager_name if settings else
                                    "chat_manager", model=selector)
        except ValueError as exc:
            raise BuildError(str(exc), path="pattern") from exc

    def selector(self, members: list[ConversableAgent]) -> ModelClient:
        settings = self.spec.pattern.group
        if settings is not None and settings.selector_model is not None:
            return self.model(settings.selector_model, "pattern.group.selector_model")
        if self.override is not None:
            return self.override
        for member in members:
            if member.model is not None:
                return member.model
        raise BuildError("auto speaker selection needs a model: set selector_model",
                         path="pattern.group.selector_model")


def _termination(spec: TerminationSpec) -> Callable[[Any], bool]:
    from studio.engine import Termination

    return Termination(spec.kind, spec.value)


def _limit_replies(agent: ConversableAgent, spec: TerminationSpec) -> None:
    """``max_messages`` / ``max_turns`` of a termination: stop replying past the limit.

    ``max_messages`` counts the messages of the conversation so far; ``max_turns`` the
    replies this agent gave its counterpart in the current chat.
    """
    if spec.max_messages is None and spec.max_turns is None:
        return
    from studio.engine import Stop, StopReason

    replies: dict[int, int] = {}

    def limit(agent: Any, messages: list[Any], sender: Any, ctx: Any) -> tuple[bool, Any]:
        if spec.max_messages is not None and len(messages) >= spec.max_messages:
            return True, Stop(StopReason.MAX_MESSAGES)
        if spec.max_turns is not None:
            key = id(sender)
            given = 0 if len(messages) <= 1 else replies.get(key, 0)  # a new chat starts afresh
            if given >= spec.max_turns:
                return True, Stop(StopReason.MAX_TURNS)
            replies[key] = given + 1
        return False, None

    agent.register_reply(limit)

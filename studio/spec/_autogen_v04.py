"""AutoGen Studio 0.4 component JSON (``provider`` / ``component_type`` / ``config``).

A team (RoundRobinGroupChat, SelectorGroupChat) becomes a template. In AutoGen 0.4 the
task comes from outside the team; here a ``user`` proxy sends it (and runs the agents'
tools). One participant becomes a two-agent chat, several a group chat.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ._autogen_import import Context, ImportReport, import_lines, layout, obj, safe_name
from ._problems import Problem, SpecError

if TYPE_CHECKING:
    from .registry import Registry

_TEAMS = {"RoundRobinGroupChat": "round_robin", "SelectorGroupChat": "auto"}
_SETTINGS = ("temperature", "max_tokens", "top_p", "seed")
_QUIET = {"model_info", "model_capabilities", "organization", "timeout", "max_retries",
          "default_headers", "stream_options", "include_name_in_message", "api_key",
          "base_url", "model", "azure_endpoint", "azure_deployment", "api_version",
          "parallel_tool_calls", "host"} | set(_SETTINGS)


def _short(provider: Any) -> str:
    return str(provider or "").rsplit(".", 1)[-1]


def import_v04(data: dict[str, Any], *, source: str, registry: Registry | None
               ) -> list[ImportReport]:
    items = data.get("items") if isinstance(data.get("items"), dict) else data.get("components")
    if "provider" not in data and isinstance(items, dict):  # a gallery: every team in it
        teams = items.get("teams") or []
        if not teams:
            raise SpecError([Problem(source, "the gallery holds no teams to import")])
        key = "items" if isinstance(data.get("items"), dict) else "components"
        problems: list[Problem] = []
        reports: list[ImportReport] = []
        for i, team in enumerate(teams):
            try:
                reports.append(_Team(source, f"{key}.teams[{i}].").run(team, registry))
            except SpecError as exc:
                problems.extend(exc.problems)
        if problems:
            raise SpecError(problems)  # nothing half-imported
        return reports
    return [_Team(source, "").run(data, registry)]


class _Team:
    def __init__(self, source: str, prefix: str) -> None:
        self.ctx = Context(source, "autogen-0.4")
        self.prefix = prefix
        self.taken: set[str] = set()
        self.agents: list[dict[str, Any]] = []
        self.tool_users: list[str] = []

    def p(self, path: str) -> str:
        return f"{self.prefix}{path}".rstrip(".")

    def run(self, team: Any, registry: Registry | None) -> ImportReport:
        ctx = self.ctx
        if not isinstance(team, dict) or team.get("component_type") not in (None, "team"):
            kind = team.get("component_type") if isinstance(team, dict) else type(team).__name__
            ctx.error(self.p("component_type"),
                      f"expected a team component, got {kind!r}; export the whole team from "
                      "AutoGen Studio's Team Builder")
            ctx.raise_errors()
        provider = _short(team.get("provider"))
        if provider not in _TEAMS:
            ctx.error(self.p("provider"), f"unsupported team provider {team.get('provider')!r}; "
                      f"supported: {', '.join(_TEAMS)}")
            ctx.raise_errors()
        config = team.get("config")
        if not isinstance(config, dict):
            ctx.error(self.p("config"), "a team needs a config object")
            ctx.raise_errors()
        participants = config.get("participants")
        if not isinstance(participants, list) or not participants:
            ctx.error(self.p("config.participants"), "a team needs at least one participant")
            ctx.raise_errors()
        for i, part in enumerate(participants):
            self.agent(part, f"config.participants[{i}]")
        ctx.raise_errors()
        if not self.agents:
            ctx.error(self.p("config.participants"), "no participant could be imported")
            ctx.raise_errors()
        label = str(team.get("label") or provider)
        ctx.mapped.append(f"team {label!r}: {provider}")
        doc: dict[str, Any] = {"format": 1, "name": label,
                               "description": str(team.get("description") or "").strip(),
                               "tags": ["imported", "autogen"]}
        stop = self.termination(config.get("termination_condition"),
                                "config.termination_condition")
        pattern = self.pattern(provider, config, stop)
        doc["agents"] = self.agents
        doc["pattern"] = pattern
        doc["sample_tasks"] = ["Introduce yourselves, then work together on a small example task."]
        doc["layout"] = layout([a["name"] for a in self.agents])
        for key in ("max_turns", "emit_team_events", "model_client_streaming"):
            if config.get(key) not in (None, False):
                ctx.not_mapped.append(f"team: {key}={config[key]!r}")
        return ctx.finish(doc, registry)

    # -- pattern -----------------------------------------------------------------------------
    def pattern(self, provider: str, config: dict[str, Any], stop: dict[str, Any]
                ) -> dict[str, Any]:
        ctx = self.ctx
        proxies = [a["name"] for a in self.agents if a["kind"] == "user_proxy"]
        starter = proxies[0] if proxies else None
        if starter is None:
            starter = safe_name("user", self.taken, "user")
            self.agents.append({"name": starter, "kind": "user_proxy", "human_input": "never",
                                "description": "Sends the task to the team and runs its tools."})
            ctx.mapped.append(f"added user proxy {starter!r}: it sends the task (AutoGen 0.4 "
                              "gives the task from outside the team)")
        user = next(a for a in self.agents if a["name"] == starter)
        tools = sorted({t for a in self.agents for t in a.get("tools", [])})
        if tools:
            user["execute_tools"] = tools
        others = [a["name"] for a in self.agents if a["name"] != starter]
        if not others:
            ctx.error(self.p("config.participants"), "the team needs an agent besides the user")
            ctx.raise_errors()
        if len(others) == 1 and not proxies:
            agent = others[0]
            termination = stop.get("termination")
            if termination:
                user["termination"] = termination
            pattern: dict[str, Any] = {"kind": "two_agent", "starter": starter,
                                       "message": "{task}",
                                       "edges": [{"source": starter, "target": agent}]}
            if stop.get("max_messages"):
                pattern["max_turns"] = max(1, math.ceil(stop["max_messages"] / 2))
            ctx.mapped.append(f"one participant: a two-agent chat {starter} -> {agent}")
            return pattern
        method = _TEAMS[provider]
        members = [a["name"] for a in self.agents]
        repeat = bool(config.get("allow_repeated_speaker", False))
        edges: list[dict[str, str]] = []
        if method == "round_robin":
            ring = [n for n in members if n != starter or proxies]
            if starter not in ring:
                edges.append({"source": starter, "target": ring[0]})
            for i, name in enumerate(ring):
                edges.append({"source": name, "target": ring[(i + 1) % len(ring)]})
            for name in self.tool_users:
                if starter not in ring:
                    edges += [{"source": name, "target": starter},
                              {"source": starter, "target": name}]
        else:
            for source in members:
                for target in members:
                    if source != target and (target != starter or proxies
                                             or source in self.tool_users):
                        edges.append({"source": source, "target": target})
        edges = [dict(t) for t in {tuple(e.items()) for e in edges}]
        edges.sort(key=lambda e: (members.index(e["source"]), members.index(e["target"])))
        group: dict[str, Any] = {"speaker_selection": method,
                                 "max_round": stop.get("max_messages") or 20,
                                 "allow_repeat_speaker": repeat}
        if not stop.get("max_messages"):
            ctx.warnings.append("no MaxMessageTermination: the group chat stops after 20 rounds")
        if method == "auto":
            client = config.get("model_client")
            if isinstance(client, dict):
                group["selector_model"] = self.model(client, "config.model_client", "team")
            if config.get("selector_prompt"):
                ctx.not_mapped.append("team: selector_prompt (the studio uses its own "
                                      "speaker-selection prompt built from agent descriptions)")
            if config.get("selector_func") or config.get("candidate_func"):
                ctx.not_mapped.append("team: selector_func / candidate_func (custom code)")
        ctx.mapped.append(f"group chat of {', '.join(members)} with {method} speaker selection")
        return {"kind": "group", "starter": starter, "message": "{task}", "edges": edges,
                "group": group}

    # -- agents ------------------------------------------------------------------------------
    def agent(self, part: Any, path: str) -> None:
        ctx = self.ctx
        if not isinstance(part, dict):
            ctx.error(self.p(path), "expected an agent component (an object)")
            return
        provider = _short(part.get("provider"))
        config = obj(part.get("config"))
        raw_name = config.get("name") or part.get("label") or "agent"
        if provider not in ("AssistantAgent", "UserProxyAgent", "CodeExecutorAgent"):
            ctx.not_mapped.append(f"agent {raw_name!r}: {part.get('provider')!r} is not "
                                  "supported; left out of the team")
            ctx.warnings.append(f"{ctx.where(self.p(path))}: agent {raw_name!r} "
                                f"({provider or 'no provider'}) was left out")
            return
        name = safe_name(raw_name, self.taken, "agent")
        what = f"agent {name!r}"
        if name != raw_name:
            ctx.warnings.append(f"{what}: renamed from {raw_name!r} (letters, digits, _ and -)")
        description = str(config.get("description") or part.get("description") or "").strip()
        agent: dict[str, Any] = {"name": name, "description": description}
        if provider == "UserProxyAgent":
            agent.update(kind="user_proxy", human_input="always")
            ctx.mapped.append(f"{what}: UserProxyAgent as a user proxy that asks you every turn")
            if config.get("input_func"):
                ctx.not_mapped.append(f"{what}: input_func (the studio asks in the transcript)")
        elif provider == "CodeExecutorAgent":
            agent.update(kind="user_proxy", human_input="never",
                         code_execution=self.executor(config.get("code_executor"),
                                                      f"{path}.config.code_executor", what))
            ctx.mapped.append(f"{what}: CodeExecutorAgent as a user proxy that runs code")
        else:
            agent["kind"] = "assistant"
            ctx.mapped.append(f"{what}: AssistantAgent")
            if config.get("system_message"):
                agent["system_message"] = str(config["system_message"])
            client = config.get("model_client")
            if isinstance(client, dict):
                agent["model"] = self.model(client, f"{path}.config.model_client", what)
                settings = {k: v for k, v in (client.get("config") or {}).items()
                            if k in _SETTINGS and v is not None}
                if settings:
                    agent["model_settings"] = settings
            else:
                ctx.error(self.p(f"{path}.config.model_client"),
                          "an AssistantAgent needs a model_client")
            if config.get("model_client_stream"):
                agent["stream"] = True
            tools = []
            for j, tool in enumerate(config.get("tools") or []):
                tname = self.tool(tool, f"{path}.config.tools[{j}]", what)
                if tname:
                    tools.append(tname)
            for tool, tool_path in self.workbench_tools(config.get("workbench"),
                                                        f"{path}.config.workbench", what):
                tname = self.tool(tool, tool_path, what)
                if tname and tname not in tools:
                    tools.append(tname)
            if tools:
                agent["tools"] = tools
                self.tool_users.append(name)
            self.unsupported(config, what)
        self.agents.append(agent)

    def unsupported(self, config: dict[str, Any], what: str) -> None:
        ctx = self.ctx
        notes = {"memory": "memory is not supported", "handoffs": "handoffs are not supported",
                 "output_content_type": "structured output is not supported",
                 "reflect_on_tool_use": "reflect_on_tool_use is not supported (the agent "
                                        "answers from the tool result on its next turn)"}
        for key, note in notes.items():
            if config.get(key):
                ctx.not_mapped.append(f"{what}: {note}")
        context = config.get("model_context")
        if isinstance(context, dict) and _short(context.get("provider")) not in (
                "", "UnboundedChatCompletionContext"):
            ctx.not_mapped.append(f"{what}: model_context {_short(context.get('provider'))} "
                                  "(the whole conversation is sent)")

    def workbench_tools(self, workbench: Any, path: str, what: str
                        ) -> list[tuple[Any, str]]:
        """The tools of an agent's workbench(es): ``(tool component, its path)`` each.

        A StaticWorkbench is a plain list of tools (every team of AutoGen Studio's own
        gallery keeps its tools there); other workbenches (MCP servers) are not mapped.
        """
        if not workbench:
            return []
        benches = workbench if isinstance(workbench, list) else [workbench]
        prefix = path if isinstance(workbench, list) else None
        found: list[tuple[Any, str]] = []
        for i, bench in enumerate(benches):
            where = f"{prefix}[{i}]" if prefix else path
            if not isinstance(bench, dict):
                self.ctx.error(self.p(where), "expected a workbench component (an object)")
                continue
            provider = _short(bench.get("provider"))
            if provider != "StaticWorkbench":
                self.ctx.not_mapped.append(
                    f"{what}: workbench {provider or bench.get('provider')!r} (only a "
                    "StaticWorkbench's tools can be imported; MCP servers are not supported)")
                continue
            tools = obj(bench.get("config")).get("tools") or []
            for j, tool in enumerate(tools if isinstance(tools, list) else []):
                found.append((tool, f"{where}.config.tools[{j}]"))
        return found

    def model(self, client: dict[str, Any], path: str, what: str) -> str | None:
        ctx = self.ctx
        provider = _short(client.get("provider"))
        config = obj(client.get("config"))
        had_key = bool(config.get("api_key"))
        if provider == "OpenAIChatCompletionClient":
            base_url = config.get("base_url")
            kind = ("ollama" if base_url and ":11434" in str(base_url) else
                    "openai_compatible" if base_url and "api.openai.com" not in str(base_url)
                    else "openai")
            name = ctx.add_model(kind, config.get("model"), base_url=base_url, had_key=had_key,
                                 what=what)
        elif provider == "AzureOpenAIChatCompletionClient":
            name = ctx.add_model("azure", config.get("azure_deployment") or config.get("model"),
                                 base_url=config.get("azure_endpoint"),
                                 api_version=config.get("api_version"), had_key=had_key,
                                 what=what)
            if config.get("azure_ad_token_provider"):
                ctx.not_mapped.append(f"{what}: azure_ad_token_provider (use an API key)")
        elif provider == "OllamaChatCompletionClient":
            host = str(config.get("host") or "http://localhost:11434").rstrip("/")
            name = ctx.add_model("ollama", config.get("model"), base_url=f"{host}/v1",
                                 had_key=False, what=what)
        else:
            ctx.error(self.p(path), f"unknown provider {client.get('provider')!r}; supported: "
                      "OpenAIChatCompletionClient, AzureOpenAIChatCompletionClient, "
                      "OllamaChatCompletionClient")
            return None
        ignored = sorted(k for k in config if k not in _QUIET and config[k] not in (None, {}, []))
        if ignored:
            ctx.not_mapped.append(f"{what}: model options {', '.join(ignored)}")
        return name

    def tool(self, tool: Any, path: str, what: str) -> str | None:
        ctx = self.ctx
        if not isinstance(tool, dict):
            ctx.error(self.p(path), "expected a tool component (an object)")
            return None
        config = obj(tool.get("config"))
        if _short(tool.get("provider")) != "FunctionTool" or not config.get("source_code"):
            ctx.not_mapped.append(f"{what}: tool {config.get('name') or tool.get('label')!r} "
                                  f"({_short(tool.get('provider'))}) is not a FunctionTool "
                                  "with source_code")
            return None
        return ctx.add_tool(str(config.get("name") or "tool"), str(config["source_code"]),
                            str(config.get("description") or tool.get("description") or ""),
                            import_lines(config.get("global_imports")), self.p(path), what)

    def executor(self, executor: Any, path: str, what: str) -> dict[str, Any]:
        config = executor.get("config") if isinstance(executor, dict) else None
        config = config if isinstance(config, dict) else {}
        provider = _short(executor.get("provider")) if isinstance(executor, dict) else ""
        out: dict[str, Any] = {"executor": "docker" if "Docker" in provider else "local"}
        timeout = config.get("timeout")
        if isinstance(timeout, (int, float)) and 1 <= timeout <= 3600:
            out["timeout"] = int(timeout)
        if out["executor"] == "docker" and config.get("image"):
            out["image"] = str(config["image"])
        if provider and provider not in ("LocalCommandLineCodeExecutor",
                                          "DockerCommandLineCodeExecutor"):
            self.ctx.warnings.append(f"{what}: code executor {provider} runs as the studio's "
                                     "local sandboxed executor")
        return out

    # -- termination -------------------------------------------------------------------------
    def termination(self, cond: Any, path: str) -> dict[str, Any]:
        """``{"termination": TerminationSpec dict, "max_messages": n}`` from a condition."""
        out: dict[str, Any] = {}
        if cond is None:
            self.ctx.warnings.append("the team has no termination condition: it stops on "
                                     "TERMINATE or the round limit")
            return out
        self._walk(cond, path, out)
        return out

    def _walk(self, cond: Any, path: str, out: dict[str, Any]) -> None:
        ctx = self.ctx
        if not isinstance(cond, dict):
            ctx.error(self.p(path), "expected a termination component (an object)")
            return
        provider = _short(cond.get("provider"))
        config = obj(cond.get("config"))
        if provider in ("OrTerminationCondition", "AndTerminationCondition"):
            if provider.startswith("And"):
                ctx.warnings.append("AndTerminationCondition: the studio stops as soon as ONE "
                                    "of the conditions holds")
                ctx.not_mapped.append("termination: 'and' (mapped as 'or')")
            for i, sub in enumerate(config.get("conditions") or []):
                self._walk(sub, f"{path}.config.conditions[{i}]", out)
        elif provider == "TextMentionTermination":
            text = str(config.get("text") or "TERMINATE")
            out["termination"] = {"kind": "contains", "value": text}
            ctx.mapped.append(f"termination: a message containing {text!r}")
            if text != "TERMINATE":
                ctx.warnings.append(f"TextMentionTermination({text!r}): group chats in the "
                                    "studio stop on messages ending with TERMINATE")
        elif provider == "MaxMessageTermination":
            count = config.get("max_messages")
            if not isinstance(count, int) or count < 1:
                ctx.error(self.p(f"{path}.config.max_messages"), "must be a positive integer")
                return
            out["max_messages"] = min(out.get("max_messages") or count, count)
            ctx.mapped.append(f"termination: at most {count} messages")
        else:
            ctx.not_mapped.append(f"termination: {provider or cond.get('provider')!r}")

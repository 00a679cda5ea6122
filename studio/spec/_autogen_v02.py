"""AutoGen Studio 0.1/0.2 workflow JSON: a sender, a receiver (an agent or a group chat),
agents with ``llm_config.config_list``, skills, and ``groupchat_config``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._autogen_import import Context, ImportReport, layout, obj, safe_name

if TYPE_CHECKING:
    from .registry import Registry

_MODES = {"ALWAYS": "always", "TERMINATE": "terminate", "NEVER": "never"}
_SELECTION = {"auto": "auto", "round_robin": "round_robin", "random": "random",
              "manual": "manual"}
_SUMMARY = {"last": "last_msg", "llm": "reflection", "reflection_with_llm": "reflection",
            "last_msg": "last_msg"}


def import_v02(data: dict[str, Any], *, source: str, registry: Registry | None
               ) -> list[ImportReport]:
    return [_Workflow(source).run(data, registry)]


def _sender_receiver(data: dict[str, Any]) -> tuple[Any, Any, str, str]:
    if "sender" in data or "receiver" in data:
        return data.get("sender"), data.get("receiver"), "sender", "receiver"
    sender = receiver = None
    sp = rp = ""
    for i, item in enumerate(data.get("agents") or []):
        if not isinstance(item, dict):
            continue
        role = (item.get("link") or {}).get("agent_type")
        if role == "sender" and sender is None:
            sender, sp = item.get("agent"), f"agents[{i}].agent"
        elif role == "receiver" and receiver is None:
            receiver, rp = item.get("agent"), f"agents[{i}].agent"
    return sender, receiver, sp or "sender", rp or "receiver"


class _Workflow:
    def __init__(self, source: str) -> None:
        self.ctx = Context(source, "autogen-0.2")
        self.taken: set[str] = set()
        self.agents: list[dict[str, Any]] = []

    def run(self, data: dict[str, Any], registry: Registry | None) -> ImportReport:
        ctx = self.ctx
        sender, receiver, sp, rp = _sender_receiver(data)
        if not isinstance(sender, dict):
            ctx.error(sp, "the workflow needs a sender agent (the one that starts the chat)")
        if not isinstance(receiver, dict):
            ctx.error(rp, "the workflow needs a receiver agent or group chat")
        ctx.raise_errors()
        name = str(data.get("name") or "Imported AutoGen workflow")
        doc: dict[str, Any] = {"format": 1, "name": name,
                               "description": str(data.get("description") or "").strip(),
                               "tags": ["imported", "autogen"]}
        ctx.mapped.append(f"workflow {name!r} ({data.get('type') or 'twoagents'})")
        starter = self.agent(sender, sp)
        summary = _SUMMARY.get(str(data.get("summary_method") or "last"))
        if summary is None:
            ctx.not_mapped.append(f"summary_method {data.get('summary_method')!r} "
                                  "(the last message is used)")
            summary = "last_msg"
        if receiver.get("type") == "groupchat" or data.get("type") == "groupchat":
            pattern = self.group(receiver, rp, starter)
        else:
            target = self.agent(receiver, rp)
            ctx.raise_errors()
            pattern = {"kind": "two_agent", "starter": starter, "message": "{task}",
                       "edges": [{"source": starter, "target": target}]}
            ctx.mapped.append(f"a two-agent chat {starter} -> {target}")
        ctx.raise_errors()
        pattern["summary_method"] = summary
        tools = sorted({t for a in self.agents for t in a.get("tools", [])})
        if tools:  # 0.2 skills run for the callers in the sender (the user proxy)
            proxy = next((a for a in self.agents if a["name"] == starter), self.agents[0])
            proxy["execute_tools"] = tools
        for agent in self.agents:
            agent.pop("_raw", None)
        doc["agents"] = self.agents
        doc["pattern"] = pattern
        doc["sample_tasks"] = [str(t) for t in data.get("sample_tasks") or []] or [
            "Introduce yourselves, then work together on a small example task."]
        doc["layout"] = layout([a["name"] for a in self.agents])
        return ctx.finish(doc, registry)

    def group(self, receiver: dict[str, Any], path: str, starter: str | None) -> dict[str, Any]:
        ctx = self.ctx
        config = receiver.get("groupchat_config") or {}
        gpath = f"{path}.groupchat_config"
        members_raw = config.get("agents") or receiver.get("agents") or []
        if not isinstance(members_raw, list) or not members_raw:
            ctx.error(f"{gpath}.agents", "a group chat needs its member agents")
            ctx.raise_errors()
        members = [starter] if starter else []
        for i, raw in enumerate(members_raw):
            item = raw.get("agent") if isinstance(raw, dict) and "agent" in raw else raw
            spec_name = (item.get("config") or {}).get("name") if isinstance(item, dict) else None
            if starter and spec_name == next(a for a in self.agents
                                             if a["name"] == starter).get("_raw"):
                continue  # the sender is a member too
            name = self.agent(item, f"{gpath}.agents[{i}]")
            if name:
                members.append(name)
        ctx.raise_errors()
        for agent in self.agents:
            agent.pop("_raw", None)
        method = str(config.get("speaker_selection_method") or "auto")
        selection = _SELECTION.get(method)
        if selection is None:
            ctx.not_mapped.append(f"speaker_selection_method {method!r} (auto is used)")
            selection = "auto"
        repeat = config.get("allow_repeat_speaker", True)
        if not isinstance(repeat, bool):
            ctx.not_mapped.append("allow_repeat_speaker as a list of agents (allowed for all)")
            repeat = True
        edges = [{"source": s, "target": t} for s in members for t in members if s != t]
        group: dict[str, Any] = {"speaker_selection": selection,
                                 "max_round": int(config.get("max_round") or 10),
                                 "allow_repeat_speaker": repeat,
                                 "send_introductions": bool(config.get("send_introductions"))}
        manager = receiver.get("config") or {}
        if manager.get("name"):
            group["manager_name"] = safe_name(manager["name"], set(self.taken), "chat_manager")
        llm = manager.get("llm_config")
        if selection == "auto" and isinstance(llm, dict):
            group["selector_model"] = self.model(llm, f"{path}.config.llm_config",
                                                 "group chat manager")[0]
        admin = config.get("admin_name")
        if admin and admin != "Admin":
            ctx.not_mapped.append(f"admin_name {admin!r} (you step in from the transcript)")
        ctx.mapped.append(f"group chat of {', '.join(members)}: {selection} speaker selection, "
                          f"max_round {group['max_round']}")
        return {"kind": "group", "starter": starter, "message": "{task}", "edges": edges,
                "group": group}

    def agent(self, item: Any, path: str) -> str:
        ctx = self.ctx
        if not isinstance(item, dict):
            ctx.error(path, "expected an agent object with type and config")
            return ""
        config = obj(item.get("config"))
        raw = config.get("name")
        if not raw:
            ctx.error(f"{path}.config.name", "every agent needs a name")
            return ""
        kind = str(item.get("type") or "assistant")
        name = safe_name(raw, self.taken, "agent")
        what = f"agent {name!r}"
        if kind not in ("assistant", "userproxy", "groupchat"):
            ctx.warnings.append(f"{what}: agent type {kind!r} imported as a conversable agent")
        agent: dict[str, Any] = {
            "name": name, "_raw": raw,
            "kind": {"assistant": "assistant", "userproxy": "user_proxy"}.get(kind, "conversable"),
            "description": str(config.get("description") or item.get("description") or "")}
        ctx.mapped.append(f"{what}: {kind}")
        if config.get("system_message"):
            agent["system_message"] = str(config["system_message"])
        mode = config.get("human_input_mode")
        if mode:
            if str(mode).upper() in _MODES:
                agent["human_input"] = _MODES[str(mode).upper()]
            else:
                ctx.error(f"{path}.config.human_input_mode",
                          f"unknown mode {mode!r}; use ALWAYS, TERMINATE or NEVER")
        auto = config.get("max_consecutive_auto_reply")
        if isinstance(auto, int) and auto >= 0:
            agent["max_consecutive_auto_reply"] = auto
        if config.get("default_auto_reply"):
            agent["default_auto_reply"] = str(config["default_auto_reply"])
        llm = config.get("llm_config")
        models = item.get("models")
        if isinstance(llm, dict) and (llm.get("config_list") or models):
            model, settings = self.model(llm, f"{path}.config.llm_config", what, models)
            if model:
                agent["model"] = model
            if settings:
                agent["model_settings"] = settings
        elif agent["kind"] == "assistant":
            ctx.error(f"{path}.config.llm_config", "an assistant needs an llm_config with a "
                      "config_list (the model it uses)")
        code = config.get("code_execution_config")
        if isinstance(code, str) or code is True:  # AutoGen Studio's short form
            kind = "local" if code is True else code.strip().lower()
            if kind in ("local", "docker"):
                code = {"use_docker": kind == "docker"}
            elif kind not in ("", "none", "false"):
                ctx.not_mapped.append(f"{what}: code_execution_config {code!r} (expected "
                                      "local, docker or none): the agent runs no code")
        if isinstance(code, dict):
            agent["code_execution"] = {"executor": "docker" if code.get("use_docker") else "local"}
            timeout = code.get("timeout")
            if isinstance(timeout, int) and 1 <= timeout <= 3600:
                agent["code_execution"]["timeout"] = timeout
            ctx.mapped.append(f"{what}: runs code ({agent['code_execution']['executor']})")
            if code.get("work_dir"):
                ctx.not_mapped.append(f"{what}: work_dir (each run gets its own folder)")
        if config.get("is_termination_msg"):
            ctx.not_mapped.append(f"{what}: is_termination_msg (code; messages ending with "
                                  "TERMINATE end the chat)")
        skills = item.get("skills") or []
        tools = []
        for j, skill in enumerate(skills if isinstance(skills, list) else []):
            if not isinstance(skill, dict) or not skill.get("content"):
                ctx.not_mapped.append(f"{what}: skills[{j}] has no content")
                continue
            title = str(skill.get("title") or skill.get("name") or "skill")
            tname = ctx.add_tool(title.removesuffix(".py"), str(skill["content"]),
                                 str(skill.get("description") or ""), [],
                                 f"{path}.skills[{j}]", what)
            if tname:
                tools.append(tname)
        if tools:
            agent["tools"] = tools
            ctx.warnings.append(f"{what}: skills became tools the agent calls (AutoGen Studio "
                                "0.2 imported them into generated code instead)")
        self.agents.append(agent)
        return name

    def model(self, llm: dict[str, Any], path: str, what: str,
              models: Any = None) -> tuple[str | None, dict[str, Any]]:
        ctx = self.ctx
        configs = llm.get("config_list") or models or []
        if not isinstance(configs, list) or not configs or not isinstance(configs[0], dict):
            ctx.error(f"{path}.config_list", "expected a list of model configs with 'model'")
            return None, {}
        first = configs[0]
        if len(configs) > 1:
            ctx.not_mapped.append(f"{what}: fallback models after the first in config_list")
        api_type = str(first.get("api_type") or "openai").lower()
        base_url = first.get("base_url") or first.get("api_base")
        had_key = bool(first.get("api_key"))
        if api_type == "azure":
            provider = "azure"
        elif api_type in ("openai", "open_ai"):
            provider = ("ollama" if base_url and ":11434" in str(base_url) else
                        "openai_compatible" if base_url and "api.openai.com" not in str(base_url)
                        else "openai")
        else:
            ctx.error(f"{path}.config_list[0].api_type",
                      f"unknown provider {api_type!r}; supported: openai, azure")
            return None, {}
        name = ctx.add_model(provider, first.get("model"), base_url=base_url,
                             api_version=first.get("api_version"), had_key=had_key, what=what)
        settings = {k: llm[k] for k in ("temperature", "max_tokens", "top_p", "seed")
                    if isinstance(llm.get(k), (int, float)) and not isinstance(llm.get(k), bool)}
        if llm.get("cache_seed") is not None:
            ctx.not_mapped.append(f"{what}: cache_seed (responses are not cached)")
        return name, settings

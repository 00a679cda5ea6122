"""The Builder's form for one agent: every setting the engine has, checked as you type.

Widgets are keyed ``b<gen>_a<index>_<field>`` (see :class:`studio.app._builder_session.Draft`);
each one's value is set from the draft the first time it is drawn and written back to the
draft by its ``on_change`` callback. Problems found by validation appear under the field
they concern.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from studio.engine.code import DEFAULT_IMAGE, local_sandbox_status
from studio.spec import AgentKind, TemplateSpec

from .. import _builder_draft as draft
from .. import _builder_session as session
from .._builder_words import (
    AGENT_LABELS,
    ASKS_YOU,
    ASKS_YOU_HELP,
    CODE_LABELS,
    KIND_HELP,
    KIND_LABELS,
    NESTED_LABELS,
    REPLIES_IN_A_ROW_HELP,
    RETRIEVAL_LABELS,
    SETTINGS_LABELS,
    TERMINATION_LABELS,
    sentence,
)
from ._builder_fields import put

DEFAULT = "(default)"
NO_MODEL = "(no model)"
_KINDS = [k.value for k in AgentKind]
_HUMAN = [DEFAULT, "always", "terminate", "never"]
_TERMINATION_KINDS = ["ends_with", "exact", "contains", "regex"]
_EXECUTORS = ["none", "local", "docker"]
_SUMMARY = ["last_msg", "reflection"]
FORM_ERROR = "builder_form_error"
FORM_TARGET = "builder_form_target"  # (generation, agent index) the form was last drawn for
FORM_PREFIX = "builder_form_prefix"  # key prefix of the form's widgets as drawn now


def form_prefix(ctx: session.Draft, index: int) -> str:
    """A fresh key prefix each time the form switches to another agent, so no widget of an
    earlier form can write into this one (and theirs are ignored)."""
    target = (ctx.gen, index)
    if st.session_state.get(FORM_TARGET) != target or FORM_PREFIX not in st.session_state:
        count = int(st.session_state.get("builder_form_count", 0)) + 1
        st.session_state["builder_form_count"] = count
        st.session_state[FORM_TARGET] = target
        st.session_state[FORM_PREFIX] = ctx.key(f"f{count}", "a", index)
    return str(st.session_state[FORM_PREFIX])


def _live(*keys: str) -> bool:
    """Whether these widgets belong to the form as drawn now (a stale one is ignored)."""
    prefix = st.session_state.get(FORM_PREFIX, "")
    return all(k.startswith(f"{prefix}_") and session.is_live(k) for k in keys)


def _spec() -> TemplateSpec:
    return st.session_state[session.SPEC]


def _apply(ctx: session.Draft, change: Callable[[TemplateSpec], TemplateSpec], *,
           reset_forms: bool = False) -> None:
    try:
        spec = change(_spec())
    except ValueError as exc:  # pydantic: a value the template format does not accept
        st.session_state[FORM_ERROR] = f"That value was not applied: {exc}"
        return
    session.commit(ctx.svc, spec, reset_forms=reset_forms)


def _set_field(ctx: session.Draft, index: int, field: str, key: str,
               convert: Callable[[Any], Any] = lambda v: v) -> None:
    if not _live(key):
        return
    value = convert(st.session_state[key])
    _apply(ctx, lambda spec: draft.update_agent(spec, index, **{field: value}))


def _problems(ctx: session.Draft, name: str, field: str) -> None:
    for problem in draft.problems_for_agent(ctx.problems, name, field):
        (st.error if problem.severity == "error" else st.warning)(
            sentence(problem, ctx.spec), icon="⛔" if problem.severity == "error" else "⚠️")


def model_options(ctx: session.Draft) -> list[str]:
    """The template's own models, then registry presets and stored configs."""
    names = list(ctx.spec.models) + [m for m in ctx.registry.models if m not in ctx.spec.models]
    return names


def model_label(ctx: session.Draft, name: str) -> str:
    """How the Model list shows a model: its label, then the name the template's text uses
    ("Demo model (offline) · demo"); the template's own models say they are its own."""
    own = ctx.spec.models.get(name)
    if own is not None:
        if isinstance(own, str):  # a preset's name ("main: demo")
            preset = ctx.registry.models.get(own)
            what = preset.label if preset is not None else None
        else:  # an inline model, named by its label or model, else by its preset's label
            preset = ctx.registry.models.get(own.preset or "")
            what = own.label or own.model or (preset.label if preset is not None else None)
        return f"{what} · {name} (this template's own)" if what else f"{name} (this template's own)"
    preset = ctx.registry.models.get(name)
    if preset is not None and preset.label and preset.label != name:
        return f"{preset.label} · {name}"
    return name


def render_agent_form(ctx: session.Draft, index: int) -> None:
    agent = ctx.spec.agents[index]
    name = agent.name
    error = st.session_state.pop(FORM_ERROR, None)
    if error:
        st.error(error, icon="⚠️")
    for problem in draft.problems_for_agent(ctx.problems, name, ""):
        (st.error if problem.severity == "error" else st.warning)(sentence(problem, ctx.spec))

    prefix = form_prefix(ctx, index)

    def key(field: str) -> str:
        return f"{prefix}_{field}"

    def bind(field: str, value: Any, convert: Callable[[Any], Any] = lambda v: v,
             ) -> dict[str, Any]:
        k = session.live(f"{key(field)}_{session.digest(value)}")
        return {"key": k, "value": value, "on_change": _set_field,
                "args": (ctx, index, field, k, convert)}

    left, right = st.columns(2)
    put(left.text_input, AGENT_LABELS["name"], help="Letters, digits, '_' or '-' (the model API's rule); unique.",
                    **bind("name", name, str.strip))
    put(right.selectbox, AGENT_LABELS["kind"], _KINDS, format_func=KIND_LABELS.get, help=KIND_HELP,
                    **bind("kind", agent.kind.value))
    _problems(ctx, name, "name")
    put(st.text_input, AGENT_LABELS["description"], help="Who this agent is; the group chat manager reads it to "
                  "pick speakers.", **bind("description", agent.description))
    put(st.text_area, AGENT_LABELS["system_message"], height=180, placeholder="Empty: the kind's default prompt.",
                 **bind("system_message", agent.system_message or "", lambda v: v or None))
    models = model_options(ctx)
    options = [NO_MODEL] + models + ([agent.model] if agent.model and agent.model not in models
                                     else [])
    put(st.selectbox, AGENT_LABELS["model"], options, help="The template's models, model presets and the models "
                 "you added on the Models page.",
        format_func=lambda v: v if v == NO_MODEL else model_label(ctx, v),
                 **bind("model", agent.model or NO_MODEL, lambda v: None if v == NO_MODEL else v))
    _problems(ctx, name, "model")
    left, right = st.columns(2)
    put(left.selectbox, AGENT_LABELS["human_input"], _HUMAN, help=ASKS_YOU_HELP,
        format_func=lambda v: ASKS_YOU["" if v == DEFAULT else v],
                   **bind("human_input", agent.human_input.value if agent.human_input else DEFAULT,
                          lambda v: None if v == DEFAULT else v))
    put(right.number_input, AGENT_LABELS["max_consecutive_auto_reply"], min_value=0, step=1, placeholder="no limit",
                       help=REPLIES_IN_A_ROW_HELP,
                       **bind("max_consecutive_auto_reply", agent.max_consecutive_auto_reply))
    _termination(ctx, index, key)
    _tools(ctx, index, bind)
    _code_execution(ctx, index, key)
    if agent.kind == AgentKind.RETRIEVE_USER_PROXY:
        _retrieval(ctx, index, key)
    _nested_chats(ctx, index, key)
    with st.expander("More: sampling, default reply, streaming"):
        _model_settings(ctx, index, key)
        put(st.text_input, AGENT_LABELS["default_auto_reply"], help="Sent when nothing else answers (empty by "
                      "default).", **bind("default_auto_reply", agent.default_auto_reply))
        put(st.checkbox, AGENT_LABELS["stream"], **bind("stream", agent.stream))
    st.button("Delete this agent", key=key("delete"), icon="🗑️", on_click=_delete,
              args=(ctx, index))


def _delete(ctx: session.Draft, index: int) -> None:
    _apply(ctx, lambda spec: draft.delete_agent(spec, index), reset_forms=True)
    session.select(None)


def _termination(ctx: session.Draft, index: int, key: Callable[[str], str]) -> None:
    agent = ctx.spec.agents[index]
    term = agent.termination
    with st.expander(AGENT_LABELS["termination"] + (" (custom)" if term else " (when it says TERMINATE)"),
                     expanded=term is not None):
        fields = {"custom": term is not None, "term_kind": term.kind if term else "ends_with",
                  "term_value": term.value if term else "TERMINATE",
                  "max_messages": term.max_messages if term else None,
                  "max_turns": term.max_turns if term else None}
        group = session.digest(fields)
        keys, vals = {f: session.live(f"{key(f)}_{group}") for f in fields}, fields
        args = (ctx, index, keys)
        custom = put(st.toggle, "Custom termination", key=keys["custom"], value=vals["custom"], on_change=_set_termination, args=args)
        if custom:
            left, right = st.columns([1, 2])
            put(left.selectbox, TERMINATION_LABELS["kind"], _TERMINATION_KINDS, key=keys["term_kind"], value=vals["term_kind"],
                           on_change=_set_termination, args=args)
            put(right.text_input, TERMINATION_LABELS["value"], key=keys["term_value"], value=vals["term_value"], on_change=_set_termination, args=args)
            left, right = st.columns(2)
            put(left.number_input, TERMINATION_LABELS["max_messages"], min_value=1, step=1, placeholder="no limit",
                              key=keys["max_messages"], value=vals["max_messages"], on_change=_set_termination, args=args)
            put(right.number_input, TERMINATION_LABELS["max_turns"], min_value=1, step=1, placeholder="no limit",
                               key=keys["max_turns"], value=vals["max_turns"], on_change=_set_termination, args=args)
        _problems(ctx, agent.name, "termination")


def _set_termination(ctx: session.Draft, index: int, keys: dict[str, str]) -> None:
    if not _live(*keys.values()):
        return
    state = st.session_state
    value = None
    if state[keys["custom"]]:
        value = {"kind": state[keys["term_kind"]], "value": state[keys["term_value"]],
                 "max_messages": state[keys["max_messages"]], "max_turns": state[keys["max_turns"]]}
    _apply(ctx, lambda spec: draft.update_agent(spec, index, termination=value))


def _tools(ctx: session.Draft, index: int, bind: Callable[..., dict[str, Any]]) -> None:
    agent = ctx.spec.agents[index]
    names = [t if isinstance(t, str) else t.name for t in agent.tools]
    inline = [t for t in agent.tools if not isinstance(t, str)]
    known = list(ctx.registry.tools) + [t.name for t in ctx.spec.tools]
    options = known + [n for n in names if n not in known]

    def to_tools(values: list[str]) -> list[Any]:
        by_name = {t.name: t for t in inline}
        return [by_name[v].model_dump() if v in by_name else v for v in values]

    put(st.multiselect, AGENT_LABELS["tools"], options, help="Python functions "
                   "from the registry; the agent that answers runs them.",
                   **bind("tools", names, to_tools))
    _problems(ctx, agent.name, "tools")
    exec_options = known + [n for n in agent.execute_tools if n not in known]
    put(st.multiselect, AGENT_LABELS["execute_tools"], exec_options, help="Tools this agent executes when "
                   "another agent's model calls them.",
                   **bind("execute_tools", list(agent.execute_tools)))
    _problems(ctx, agent.name, "execute_tools")


def _code_execution(ctx: session.Draft, index: int, key: Callable[[str], str]) -> None:
    agent = ctx.spec.agents[index]
    code = agent.code_execution
    with st.expander(AGENT_LABELS["code_execution"] + (f" ({code.executor})" if code else " (no)"),
                     expanded=bool(code and code.executor != "none")):
        image = (code.image or "") if code else ""
        network = code.network if code else False
        fields = {"executor": code.executor if code else "none",
                  "timeout": code.timeout if code else 60, "image": image,
                  "approve": code.approve if code else False, "network": network}
        group = session.digest(fields)
        keys, vals = {f: session.live(f"{key(f)}_{group}") for f in fields}, fields
        args = (ctx, index, keys, vals)
        executor = put(st.radio, CODE_LABELS["executor"], _EXECUTORS, key=keys["executor"], value=vals["executor"], horizontal=True,
                 on_change=_set_code, args=args, help="local: a sandboxed subprocess; docker: a "
                 "container (Docker or Podman).")
        if executor != "none":
            left, right = st.columns(2)
            put(left.number_input, CODE_LABELS["timeout"], min_value=1, max_value=3600, step=1,
                              key=keys["timeout"], value=vals["timeout"], on_change=_set_code, args=args)
            put(right.text_input, CODE_LABELS["image"], key=keys["image"], value=vals["image"], on_change=_set_code, args=args,
                             disabled=executor != "docker")
            put(st.checkbox, CODE_LABELS["network"], key=keys["network"],
                value=vals["network"], on_change=_set_code, args=args, disabled=executor != "docker",
                help="Off by default: code in a container cannot reach the network.")
            put(st.checkbox, CODE_LABELS["approve"], key=keys["approve"], value=vals["approve"],
                        on_change=_set_code, args=args)
            st.caption(_sandbox_note(executor, image, network))
            if code is not None and code.cleared_by is not None:
                st.caption(f"🛡️ Runs only code that **{code.cleared_by.agent}** has checked with "
                           f"`{code.cleared_by.tool}` and declared SAFE (set in the text view).")
        _problems(ctx, agent.name, "code_execution")


def _sandbox_note(executor: str, image: str, network: bool) -> str:
    """Where this agent's code will run, in words (the run view shows where it did run)."""
    if executor == "docker":
        return (f"🐳 Runs in a container from `{image or DEFAULT_IMAGE}`, network "
                f"{'on' if network else 'off'}, removed after each run.")
    sandbox, problem = local_sandbox_status()
    if sandbox == "bubblewrap":
        return "🛡️ Runs in the bubblewrap sandbox: no network, no access to your files."
    return f"⚠️ {problem}: code runs only if unsandboxed code is allowed in Settings."


def _set_code(ctx: session.Draft, index: int, keys: dict[str, str], vals: dict[str, Any]) -> None:
    # Only the drawn fields can be live: with executor "none" the others are not shown yet.
    if not _live(*(k for k in keys.values() if k in st.session_state)):
        return

    def current(field: str) -> Any:  # a field not drawn (executor "none") keeps its value
        return st.session_state.get(keys[field], vals[field])

    kept = ctx.spec.agents[index].code_execution  # fields not drawn here (cleared_by) stay
    value = {**(kept.model_dump(mode="json") if kept else {}),
             "executor": current("executor"), "timeout": int(current("timeout") or 60),
             "image": str(current("image") or "").strip() or None,
             "approve": bool(current("approve")), "network": bool(current("network"))}
    _apply(ctx, lambda spec: draft.update_agent(spec, index, code_execution=value))


_OWN_DOCUMENTS = "(documents written into the template)"


def _retrieval(ctx: session.Draft, index: int, key: Callable[[str], str]) -> None:
    """Which documents a retrieval proxy searches, and how it sends passages."""
    agent = ctx.spec.agents[index]
    retrieval = agent.retrieval
    with st.expander(AGENT_LABELS["retrieval"], expanded=True):
        names = [c.name for c in ctx.svc.store.collections(ctx.actor)]
        current = retrieval.collection if retrieval and retrieval.collection else _OWN_DOCUMENTS
        options = [_OWN_DOCUMENTS, *names, *([current] if current not in names
                                             and current != _OWN_DOCUMENTS else [])]
        fields = {"collection": current, "n_results": retrieval.n_results if retrieval else 3,
                  "task": retrieval.task if retrieval else "qa",
                  "update_context": retrieval.update_context if retrieval else True}
        group = session.digest(fields)
        keys, vals = {f: session.live(f"{key(f)}_{group}") for f in fields}, fields
        args = (ctx, index, keys)
        own = len(retrieval.documents) if retrieval else 0
        put(st.selectbox, RETRIEVAL_LABELS["collection"], options, key=keys["collection"],
            value=vals["collection"], on_change=_set_retrieval, args=args,
            format_func=lambda o: f"{o[:-1]}: {own} file{'s' if own != 1 else ''})"
            if o == _OWN_DOCUMENTS else o,
            help="Your document collections (made on the Documents page), or the documents "
                 "that came with the template.")
        left, right = st.columns(2)
        put(left.number_input, RETRIEVAL_LABELS["n_results"], min_value=1, max_value=20, step=1,
            key=keys["n_results"], value=vals["n_results"], on_change=_set_retrieval, args=args)
        put(right.selectbox, RETRIEVAL_LABELS["task"], ["qa", "code"], key=keys["task"], value=vals["task"],
            on_change=_set_retrieval, args=args,
            format_func={"qa": "Answer questions", "code": "Write code"}.get)
        put(st.checkbox, RETRIEVAL_LABELS["update_context"],
            key=keys["update_context"], value=vals["update_context"], on_change=_set_retrieval,
            args=args)
        if not names:
            st.caption("📚 Make a collection of your own files on the **Documents** page.")
        _problems(ctx, agent.name, "retrieval")


def _set_retrieval(ctx: session.Draft, index: int, keys: dict[str, str]) -> None:
    if not _live(*keys.values()):
        return
    state = st.session_state
    base = _spec().agents[index].retrieval
    chosen = state[keys["collection"]]
    value = {**(base.model_dump() if base else {}),
             "collection": None if chosen == _OWN_DOCUMENTS else chosen,
             "n_results": int(state[keys["n_results"]] or 3), "task": state[keys["task"]],
             "update_context": bool(state[keys["update_context"]])}
    _apply(ctx, lambda spec: draft.update_agent(spec, index, retrieval=value))


def _nested_chats(ctx: session.Draft, index: int, key: Callable[[str], str]) -> None:
    agent = ctx.spec.agents[index]
    chats = agent.nested_chats
    with st.expander(f"{AGENT_LABELS['nested_chats']} ({len(chats)})", expanded=bool(chats)):
        st.caption("Before replying, this agent consults another agent and replies with the "
                   "summary of that chat.")
        others = [a.name for a in ctx.spec.agents if a.name != agent.name]
        all_keys: list[dict[str, str]] = []
        all_vals: list[dict[str, Any]] = []
        group = session.digest([c.model_dump() for c in chats])
        for j, chat in enumerate(chats):
            fields = {"recipient": chat.recipient, "message": chat.message or "",
                      "turns": chat.max_turns, "summary": chat.summary_method}
            all_keys.append({f: session.live(f"{key(f'n{j}_{f}')}_{group}") for f in fields})
            all_vals.append(fields)
        args = (ctx, index, all_keys)
        for j, (chat, keys, vals) in enumerate(zip(chats, all_keys, all_vals, strict=True)):
            options = others + ([chat.recipient] if chat.recipient not in others else [])
            left, mid, right = st.columns([2, 1, 1])
            put(left.selectbox, f"{NESTED_LABELS['recipient']} #{j + 1}", options, key=keys["recipient"], value=vals["recipient"],
                           on_change=_set_nested, args=args)
            put(mid.number_input, NESTED_LABELS["max_turns"], min_value=1, step=1, key=keys["turns"], value=vals["turns"],
                             on_change=_set_nested, args=args)
            put(right.selectbox, NESTED_LABELS["summary_method"], _SUMMARY, key=keys["summary"], value=vals["summary"], on_change=_set_nested,
                            args=args)
            put(st.text_input, NESTED_LABELS["message"], key=keys["message"], value=vals["message"], on_change=_set_nested, args=args,
                          placeholder="Empty: the message the agent received; {message} works")
            st.button("Remove", key=key(f"n{j}_remove"), on_click=_remove_nested,
                      args=(ctx, index, j))
        _problems(ctx, agent.name, "nested_chats")
        st.button("Add a nested chat", key=key("nested_add"), icon="➕", disabled=not others,
                  on_click=_add_nested, args=(ctx, index, others[0] if others else ""))


def _set_nested(ctx: session.Draft, index: int, all_keys: list[dict[str, str]]) -> None:
    if not _live(*(k for keys in all_keys for k in keys.values())):
        return
    state = st.session_state
    value = [{"recipient": state[k["recipient"]], "message": state[k["message"]] or None,
              "max_turns": int(state[k["turns"]] or 1), "summary_method": state[k["summary"]]}
             for k in all_keys]
    _apply(ctx, lambda spec: draft.update_agent(spec, index, nested_chats=value))


def _add_nested(ctx: session.Draft, index: int, recipient: str) -> None:
    chats = [c.model_dump() for c in _spec().agents[index].nested_chats]
    chats.append({"recipient": recipient})
    _apply(ctx, lambda spec: draft.update_agent(spec, index, nested_chats=chats), reset_forms=True)


def _remove_nested(ctx: session.Draft, index: int, j: int) -> None:
    chats = [c.model_dump() for c in _spec().agents[index].nested_chats]
    chats.pop(j)
    _apply(ctx, lambda spec: draft.update_agent(spec, index, nested_chats=chats), reset_forms=True)


def _model_settings(ctx: session.Draft, index: int, key: Callable[[str], str]) -> None:
    settings = ctx.spec.agents[index].model_settings
    fields = {"temperature": settings.temperature if settings else None,
              "max_tokens": settings.max_tokens if settings else None}
    group = session.digest(fields)
    keys, vals = {f: session.live(f"{key(f)}_{group}") for f in fields}, fields
    args = (ctx, index, keys)
    left, right = st.columns(2)
    put(left.number_input, SETTINGS_LABELS["temperature"], min_value=0.0, max_value=2.0, step=0.1,
                      placeholder="model default", key=keys["temperature"], value=vals["temperature"],
                      on_change=_set_model_settings, args=args)
    put(right.number_input, SETTINGS_LABELS["max_tokens"], min_value=1, step=1, placeholder="model default",
                       key=keys["max_tokens"], value=vals["max_tokens"], on_change=_set_model_settings, args=args)


def _set_model_settings(ctx: session.Draft, index: int, keys: dict[str, str]) -> None:
    if not _live(*keys.values()):
        return
    state = st.session_state
    base = _spec().agents[index].model_settings
    value = {**(base.model_dump() if base else {}), "temperature": state[keys["temperature"]],
             "max_tokens": state[keys["max_tokens"]]}
    empty = all(v is None for v in value.values())
    _apply(ctx, lambda spec: draft.update_agent(spec, index, model_settings=None if empty
                                                 else value))

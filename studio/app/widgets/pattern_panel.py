"""The Builder's pattern panel: kind, who starts, first message, group settings, limits,
summaries, sample tasks, and the list of edges (with the settings of a sequence's chats)."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import streamlit as st

from studio.spec import PatternKind, TemplateSpec

from .. import _builder_draft as draft
from .. import _builder_session as session
from .._builder_words import (
    EDGE_LABELS,
    GROUP_LABELS,
    HANDS_ON,
    HANDS_ON_HELP,
    MOST_MESSAGES_HELP,
    PATTERN_HELP,
    PATTERN_LABELS,
    PATTERNS,
    TEMPLATE_LABELS,
    WHO_NEXT,
    WHO_NEXT_HELP,
    sentence,
)
from ._builder_fields import put
from .agent_form import FORM_ERROR

NOBODY = "(nobody)"
DEFAULT = "(default)"
_SELECTION = ["auto", "round_robin", "random", "manual"]
_SUMMARY = ["last_msg", "reflection"]


def _apply(ctx: session.Draft, change: Callable[[TemplateSpec], TemplateSpec], *,
           reset_forms: bool = False) -> None:
    try:
        spec = change(st.session_state[session.SPEC])
    except ValueError as exc:
        st.session_state[FORM_ERROR] = f"That value was not applied: {exc}"
        return
    session.commit(ctx.svc, spec, reset_forms=reset_forms)


def _on(ctx: session.Draft, key: str, change: Callable[[TemplateSpec, Any], TemplateSpec],
        reset_forms: bool = False) -> None:
    if not session.is_live(key):
        return
    value = st.session_state[key]
    _apply(ctx, lambda spec: change(spec, value), reset_forms=reset_forms)


def render_pattern_panel(ctx: session.Draft) -> None:
    spec = ctx.spec
    pattern = spec.pattern
    error = st.session_state.pop(FORM_ERROR, None)
    if error:
        st.error(error, icon="⚠️")
    for problem in draft.pattern_problems(ctx.problems):
        (st.error if problem.severity == "error" else st.warning)(sentence(problem, spec))
    names = spec.agent_names
    sig = zlib.crc32("\n".join(names).encode())  # option lists change with the agents

    def bind(field: str, value: Any, change: Callable[[TemplateSpec, Any], TemplateSpec], *,
             deps: object = "", reset_forms: bool = False) -> dict[str, Any]:
        key = session.live(ctx.key("p", field, deps, session.digest(value)))
        return {"key": key, "value": value, "on_change": _on,
                "args": (ctx, key, change, reset_forms)}

    left, right = st.columns(2)
    put(left.selectbox, PATTERN_LABELS["kind"], [k.value for k in PatternKind], format_func=PATTERNS.get,
        help=PATTERN_HELP,
                   **bind("kind", pattern.kind.value,
                          lambda s, v: draft.update_pattern(s, kind=v), reset_forms=True))
    starters = [NOBODY] + names + ([pattern.starter] if pattern.starter and pattern.starter
                                   not in names else [])
    put(right.selectbox, PATTERN_LABELS["starter"], starters, help="The agent that sends the first message.",
                    **bind("starter", pattern.starter or NOBODY,
                           lambda s, v: draft.update_pattern(s, starter=None if v == NOBODY else v),
                           deps=sig))
    put(st.text_area, PATTERN_LABELS["message"], height=68, help="{task} is replaced by the task you type "
                 "when you run the team.",
                 **bind("message", pattern.message, lambda s, v: draft.update_pattern(s, message=v)))
    if pattern.kind == PatternKind.GROUP:
        _group(ctx, bind)
    elif pattern.kind == PatternKind.TWO_AGENT:
        put(st.number_input, PATTERN_LABELS["max_turns"], min_value=1, step=1,
            placeholder="until someone stops",
                        **bind("max_turns", pattern.max_turns,
                               lambda s, v: draft.update_pattern(s, max_turns=v)))
    put(st.selectbox, PATTERN_LABELS["summary_method"], _SUMMARY, format_func=HANDS_ON.get, help=HANDS_ON_HELP,
                 **bind("summary_method", pattern.summary_method,
                        lambda s, v: draft.update_pattern(s, summary_method=v)))
    put(st.text_area, TEMPLATE_LABELS["sample_tasks"], height=90,
                 **bind("samples", "\n".join(spec.sample_tasks),
                        lambda s, v: draft.update_template(
                            s, sample_tasks=[t.strip() for t in v.splitlines() if t.strip()])))
    _edges(ctx)


def _group(ctx: session.Draft, bind: Callable[..., dict[str, Any]]) -> None:
    group = ctx.spec.pattern.group
    selection = group.speaker_selection if group else "auto"
    left, right = st.columns(2)
    put(left.selectbox, GROUP_LABELS["speaker_selection"], _SELECTION, format_func=WHO_NEXT.get, help=WHO_NEXT_HELP,
                   **bind("selection", selection, lambda s, v: draft.update_pattern(
                       s, group={"speaker_selection": v})))
    put(right.number_input, GROUP_LABELS["max_round"], min_value=1, step=1, help=MOST_MESSAGES_HELP,
                       **bind("max_round", group.max_round if group else 12,
                              lambda s, v: draft.update_pattern(s, group={"max_round": int(v or 12)})))
    left, right = st.columns(2)
    put(left.checkbox, GROUP_LABELS["allow_repeat_speaker"],
                  **bind("repeat", group.allow_repeat_speaker if group else False,
                         lambda s, v: draft.update_pattern(s, group={"allow_repeat_speaker": v})))
    put(right.checkbox, GROUP_LABELS["send_introductions"],
                   **bind("intro", group.send_introductions if group else False,
                          lambda s, v: draft.update_pattern(s, group={"send_introductions": v})))
    if selection == "auto":
        models = [DEFAULT] + list(ctx.spec.models) + [m for m in ctx.registry.models
                                                      if m not in ctx.spec.models]
        current = group.selector_model if group and group.selector_model else DEFAULT
        if current not in models:
            models.append(current)
        put(st.selectbox, GROUP_LABELS["selector_model"], models,
            help="Default: the model of the agent who starts. Engine term: selector model.",
                     **bind("selector", current, lambda s, v: draft.update_pattern(
                         s, group={"selector_model": None if v == DEFAULT else v})))


def _edges(ctx: session.Draft) -> None:
    spec = ctx.spec
    edges = spec.pattern.edges
    labels = draft.edge_labels(spec)
    sequence = spec.pattern.kind == PatternKind.SEQUENCE
    with st.expander(f"{PATTERN_LABELS['edges']} ({len(edges)})", expanded=sequence and bool(edges)):
        if not edges:
            st.caption("No connections yet: drag from one node's right dot to another's left dot.")
        for k, edge in enumerate(edges):
            number = f"{labels[k]}. " if sequence else ""
            left, right = st.columns([4, 1])
            left.markdown(f"{number}**{edge.source}** → **{edge.target}**")
            right.button("✕", key=ctx.key("edge_del", k), help="Remove this connection",
                         on_click=_apply, args=(ctx, lambda s, k=k: draft.remove_edge(s, k)),
                         kwargs={"reset_forms": True})
            if sequence:
                _sequence_edge(ctx, k)


def _sequence_edge(ctx: session.Draft, k: int) -> None:
    edge = ctx.spec.pattern.edges[k]

    def bind(field: str, value: Any, convert: Callable[[Any], Any] = lambda v: v) -> dict[str, Any]:
        key = session.live(ctx.key("edge", k, field, session.digest(value)))
        return {"key": key, "value": value, "on_change": _on,
                "args": (ctx, key, lambda s, v: draft.update_edge(s, k, **{field: convert(v)}))}

    left, mid, right = st.columns(3)
    put(left.number_input, EDGE_LABELS["order"], min_value=0, step=1, placeholder="list order",
                      **bind("order", edge.order))
    put(mid.number_input, EDGE_LABELS["max_turns"], min_value=1, step=1, placeholder="no limit",
                     **bind("max_turns", edge.max_turns))
    put(right.selectbox, EDGE_LABELS["summary_method"], [DEFAULT] + _SUMMARY,
                    **bind("summary_method", edge.summary_method or DEFAULT,
                           lambda v: None if v == DEFAULT else v))
    put(st.text_input, EDGE_LABELS["message"], placeholder="Empty: the pattern's first message; {task} works",
                  **bind("message", edge.message or "", lambda v: v or None))
    put(st.checkbox, EDGE_LABELS["carryover"],
                **bind("carryover", edge.carryover))

"""The Builder's text view: the same draft as YAML or JSON, editable and validated.

Applying valid text replaces the draft (the canvas and forms follow); text with errors is
kept in the box with every problem listed by path, and the draft is left unchanged.
"""

from __future__ import annotations

import zlib

import streamlit as st

from studio.spec import Problem, SpecError, TemplateSpec, dump_json, dump_yaml, parse_text, validate

from .. import _builder_session as session

FORMAT_KEY = "builder_text_format"
PROBLEMS_KEY = "builder_text_problems"
APPLIED_KEY = "builder_text_applied"


def apply_text(ctx: session.Draft, text: str) -> list[Problem]:
    """Apply ``text`` to the draft when it has no error; return the problems found."""
    try:
        doc = parse_text(text)
    except SpecError as exc:
        return exc.problems
    problems = validate(doc, registry=ctx.registry)
    if any(p.severity == "error" for p in problems):
        return problems
    session.replace(ctx.svc, TemplateSpec.model_validate(doc))
    return problems


def _digest(spec: TemplateSpec) -> int:
    """The template without its canvas positions (the canvas may settle them right after)."""
    return zlib.crc32(dump_yaml(spec.model_copy(update={"layout": {}})).encode())


def _apply(ctx: session.Draft, key: str) -> None:
    problems = apply_text(ctx, st.session_state[key])
    errors = [p for p in problems if p.severity == "error"]
    st.session_state[PROBLEMS_KEY] = [p.to_dict() for p in errors]
    # "Applied" stays shown while the draft is what was applied (a canvas rerun that
    # follows must not make the confirmation flash away)
    st.session_state[APPLIED_KEY] = None if errors else _digest(st.session_state[session.SPEC])


def render_text_view(ctx: session.Draft) -> None:
    fmt = st.radio("Format", ["YAML", "JSON"], key=FORMAT_KEY, horizontal=True,
                   label_visibility="collapsed")
    text = dump_yaml(ctx.spec) if fmt == "YAML" else dump_json(ctx.spec)
    key = ctx.key("text", fmt, zlib.crc32(text.encode()))
    st.text_area(f"The template as {fmt}", value=text, key=key, height=460,
                 help="Edit, then press Apply. Invalid text changes nothing.")
    left, right = st.columns([1, 3])
    left.button("Apply", key="builder_text_apply", type="primary", icon="✅", on_click=_apply,
                args=(ctx, key))
    right.download_button(f"Download {fmt}", text, file_name=_file_name(ctx.spec, fmt),
                          key="builder_text_download", icon="⬇️")
    problems = st.session_state.pop(PROBLEMS_KEY, None)
    if problems:
        lines = "\n".join(f"- `{p['path'] or '(document)'}`: {p['message']}" for p in problems)
        st.error(f"Not applied: the text has {len(problems)} problem"
                 f"{'s' if len(problems) != 1 else ''}. Nothing was changed.\n\n{lines}",
                 icon="⛔")
    elif st.session_state.get(APPLIED_KEY) == _digest(ctx.spec):
        st.success("Applied: the canvas and the forms now show this template.", icon="✅")


def _file_name(spec: TemplateSpec, fmt: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in spec.name).strip("_") or "team"
    return f"{stem.lower()}.{'yaml' if fmt == 'YAML' else 'json'}"

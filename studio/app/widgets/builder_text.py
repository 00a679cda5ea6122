"""The Builder's text view: the same draft as YAML or JSON, editable and validated.

Applying valid text replaces the draft (the canvas and forms follow); text with errors is
kept in the box, word for word, with every problem listed in the Builder's words (the
agent, the form's label, the line of the text; the field path small, for people who write
YAML by hand), and the draft is left unchanged.
"""

from __future__ import annotations

import zlib

import streamlit as st

from studio.spec import Problem, SpecError, TemplateSpec, dump_json, dump_yaml, parse_text, validate

from .. import _builder_session as session
from .._builder_text_problems import TextProblem, explain

FORMAT_KEY = "builder_text_format"
PROBLEMS_KEY = "builder_text_problems"
APPLIED_KEY = "builder_text_applied"
EDITED_KEY = "builder_text_edited"  # format -> (widget key, text): typed, not applied yet


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
    text = st.session_state[key]
    problems = apply_text(ctx, text)
    errors = [p for p in problems if p.severity == "error"]
    st.session_state[PROBLEMS_KEY] = [p.to_dict() for p in explain(errors, text,
                                                                    registry=ctx.registry)]
    # "Applied" stays shown while the draft is what was applied (a canvas rerun that
    # follows must not make the confirmation flash away)
    st.session_state[APPLIED_KEY] = None if errors else _digest(st.session_state[session.SPEC])
    if not errors:  # what was applied is done with; the other format's edits are kept
        edited = st.session_state.get(EDITED_KEY, {})
        for fmt in [f for f, (kept_key, _) in edited.items() if kept_key == key]:
            del edited[fmt]
        if not edited:
            st.session_state.pop(EDITED_KEY, None)


def _keep(key: str, fmt: str) -> None:
    """Remember what was typed: the box is re-created (and would start from the draft) when
    the person looks at the other format, or when the draft changes elsewhere."""
    st.session_state.setdefault(EDITED_KEY, {})[fmt] = (key, st.session_state[key])


def _put_back(key: str, fmt: str, text: str) -> None:
    """The box is drawn afresh, from the kept text."""
    st.session_state.pop(key, None)
    st.session_state[EDITED_KEY][fmt] = (key, text)


def _discard(fmt: str) -> None:
    st.session_state.get(EDITED_KEY, {}).pop(fmt, None)


def render_text_view(ctx: session.Draft) -> None:
    fmt = st.radio("Format", ["YAML", "JSON"], key=FORMAT_KEY, horizontal=True,
                   label_visibility="collapsed")
    texts = {"YAML": dump_yaml(ctx.spec), "JSON": dump_json(ctx.spec)}
    keys = {f: ctx.key("text", f, zlib.crc32(t.encode())) for f, t in texts.items()}
    text, key = texts[fmt], keys[fmt]
    edited = st.session_state.get(EDITED_KEY, {})
    kept = edited.get(fmt)
    st.text_area(f"The template as {fmt}", value=kept[1] if kept and kept[0] == key else text,
                 key=key, height=460, on_change=_keep, args=(key, fmt),
                 help="Edit, then press Apply. Invalid text changes nothing.")
    if kept and kept[0] != key and kept[1] != text:
        st.warning(f"Your earlier {fmt} edits were not applied, and the team has changed "
                   "since.", icon="✏️")
        back, drop = st.columns(2)
        back.button("Put my text back", key="builder_text_put_back", icon="↩️",
                    on_click=_put_back, args=(key, fmt, kept[1]))
        drop.button("Discard it", key="builder_text_discard", on_click=_discard, args=(fmt,))
    for other, (other_key, other_text) in edited.items():
        if other != fmt and other_key == keys[other] and other_text != texts[other]:
            st.caption(f"✏️ Your {other} edits are not applied yet: they are kept, switch back "
                       f"to {other} to see them.")
    left, right = st.columns([1, 3])
    left.button("Apply", key="builder_text_apply", type="primary", icon="✅", on_click=_apply,
                args=(ctx, key))
    right.download_button(f"Download {fmt}", text, file_name=_file_name(ctx.spec, fmt),
                          key="builder_text_download", icon="⬇️")
    problems = st.session_state.pop(PROBLEMS_KEY, None)
    if problems:
        lines = "\n".join(TextProblem(**p).markdown() for p in problems)
        st.error(f"Not applied: the text has {len(problems)} problem"
                 f"{'s' if len(problems) != 1 else ''}. Nothing was changed, and your text is "
                 f"still in the box: fix it there and press Apply again.\n\n{lines}", icon="⛔")
    elif st.session_state.get(APPLIED_KEY) == _digest(ctx.spec):
        st.success("Applied: the canvas and the forms now show this template.", icon="✅")


def _file_name(spec: TemplateSpec, fmt: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in spec.name).strip("_") or "team"
    return f"{stem.lower()}.{'yaml' if fmt == 'YAML' else 'json'}"

"""The Builder's file operations: open, new team, save (each save a new version), versions
with view and restore, duplicate, delete with undo, and Run (hands over to the Playground)."""

from __future__ import annotations

import time

import streamlit as st

from studio.spec import SpecError, TemplateSpec, dump_yaml, load_template
from studio.store import NotFound, StoreError

from .. import _builder_draft as draft
from .. import _builder_session as session
from .._builder_words import TEMPLATE_LABELS, sentence
from .._catalog import templates
from .._guard import page_visit
from .builder_test import another_team

NOTICE_KEY = "builder_notice"
DELETED_KEY = "builder_deleted"


def bundled_names(ctx: session.Draft) -> dict[str, str]:
    """Display name -> bundled file name."""
    from .._catalog import _bundled

    return {spec.name: key for key, spec in _bundled(ctx.bundled).items()}


def _notice(text: str, kind: str = "success") -> None:
    st.session_state[NOTICE_KEY] = (kind, text)


def _about(spec: TemplateSpec) -> str:
    """The draft a notice speaks of, where its agents stand on the canvas aside."""
    return session.digest({k: v for k, v in spec.to_dict().items() if k != "layout"})


def show_notice(spec: TemplateSpec) -> None:
    """The notice of the last action (open, new team, save…), kept while the draft is the
    one it speaks of. Shown once, it went with the redraw the page makes on its own right
    after an action (the canvas reporting its drawing): seen for a blink, or not at all.
    It goes when the draft changes (agents moved on the canvas aside) or another notice
    takes its place, or the person leaves the Builder (it is not news on their return)."""
    notice = st.session_state.get(NOTICE_KEY)
    if not notice:
        return
    kind, text, *shown_with = notice
    about = (_about(spec), page_visit())
    if shown_with and shown_with[0] != about:
        del st.session_state[NOTICE_KEY]
        return
    st.session_state[NOTICE_KEY] = (kind, text, about)
    {"success": st.success, "error": st.error, "info": st.info}[kind](text)


# -- open / new -------------------------------------------------------------------------------
def _open(ctx: session.Draft) -> None:
    """Open what the picker shows now (read when clicked: a click right after choosing a
    template must not open the one chosen before)."""
    key = st.session_state.get("builder_open_select")
    if not isinstance(key, str):
        _notice("Pick a template to open first.", "error")
        return
    entry = templates(ctx.svc.store, ctx.registry, ctx.actor, ctx.bundled).get(key)
    if entry is None:
        _notice(f"Template {key!r} is gone; pick another.", "error")
        return
    spec = entry.spec
    another_team(spec)
    if entry.origin == "bundled":
        spec = draft.update_template(spec, name=f"{spec.name} (my copy)")
        session.replace(ctx.svc, spec, saved_as=None)
        _notice(f"Opened a copy of the bundled template “{entry.name}”: save it under a name "
                "of your own.", "info")
    else:
        session.replace(ctx.svc, spec, saved_as=spec.name)
        _notice(f"Opened “{spec.name}”.", "info")


def _new(ctx: session.Draft) -> None:
    spec = draft.new_team()
    another_team(spec)
    session.replace(ctx.svc, spec, saved_as=None)
    _notice("New team: add agents from the palette, then connect them.", "info")


def render_open(ctx: session.Draft) -> None:
    entries = templates(ctx.svc.store, ctx.registry, ctx.actor, ctx.bundled)
    keys = list(entries)
    left, mid, right = st.columns([4, 1, 1], vertical_alignment="bottom")
    left.selectbox("Open a template", keys, key="builder_open_select", index=None,
                   placeholder="Choose a template to open…",
                   format_func=lambda k: entries[k].name
                   + (" (saved)" if entries[k].origin == "saved" else ""))
    mid.button("Open", key="builder_open", icon="📂", on_click=_open, args=(ctx,),
               disabled=not keys, width="stretch")
    right.button("New team", key="builder_new", icon="✨", on_click=_new, args=(ctx,),
                 width="stretch")


# -- save, versions, duplicate, delete ----------------------------------------------------------
def save(ctx: session.Draft, spec: TemplateSpec, note: str = "") -> int:
    """Save the draft as a new version of the template named like it; returns the version."""
    if spec.name in bundled_names(ctx):
        raise StoreError(f"“{spec.name}” is the name of a bundled template: give your team a "
                         "name of its own (e.g. add “(my copy)”)")
    load_template(spec, registry=ctx.registry)  # raises SpecError listing the problems
    version = ctx.svc.store.save_template(ctx.actor, spec.name, spec.to_dict(), description=spec.description,
                                          tags=spec.tags, note=note)
    session.commit(ctx.svc, spec, saved_as=spec.name)
    return version.version


def _save(ctx: session.Draft) -> None:
    spec = st.session_state[session.SPEC]
    try:
        number = save(ctx, spec)
    except (SpecError, StoreError) as exc:
        _notice(f"Not saved: {exc}", "error")
        return
    _notice(f"Saved “{spec.name}” as version {number}. It is in the Gallery now.")


def _restore(ctx: session.Draft, name: str, version: int) -> None:
    restored = ctx.svc.store.restore_version(ctx.actor, name, version)
    try:
        spec = TemplateSpec.model_validate(restored.document)
    except ValueError as exc:
        _notice(f"Version {version} could not be opened: {exc}", "error")
        return
    session.replace(ctx.svc, spec, saved_as=name)
    _notice(f"Restored version {version} of “{name}” as version {restored.version}.")


def _duplicate(ctx: session.Draft, name: str, key: str) -> None:
    new_name = st.session_state.get(key, "").strip()
    try:
        copied = ctx.svc.store.duplicate_template(ctx.actor, name, new_name)
        spec = draft.update_template(TemplateSpec.model_validate(copied.document), name=new_name)
        ctx.svc.store.save_template(ctx.actor, new_name, spec.to_dict(), description=spec.description,
                                    tags=spec.tags, note="renamed after duplicating")
    except (StoreError, ValueError) as exc:
        _notice(f"Not duplicated: {exc}", "error")
        return
    session.replace(ctx.svc, spec, saved_as=new_name)
    _notice(f"Duplicated “{name}” as “{new_name}”; you are editing the copy.")


def _delete(ctx: session.Draft, name: str) -> None:
    ctx.svc.store.delete_template(ctx.actor, name)
    st.session_state[DELETED_KEY] = name
    session.commit(ctx.svc, st.session_state[session.SPEC], saved_as=None)


def _undo_delete(ctx: session.Draft, name: str) -> None:
    ctx.svc.store.undelete_template(ctx.actor, name)
    st.session_state.pop(DELETED_KEY, None)
    session.commit(ctx.svc, st.session_state[session.SPEC], saved_as=name)
    _notice(f"“{name}” is back, with all its versions.")


def _set_meta(ctx: session.Draft, field: str, key: str) -> None:
    if not session.is_live(key):
        return
    value = st.session_state[key]
    if field == "tags":
        value = [t.strip() for t in value.split(",") if t.strip()]
    session.commit(ctx.svc, draft.update_template(st.session_state[session.SPEC], **{field: value}))


def render_save(ctx: session.Draft) -> None:
    spec = ctx.spec
    fields = {"name": spec.name, "description": spec.description, "tags": ", ".join(spec.tags)}
    keys = {f: session.live(ctx.key("meta", f, session.digest(v))) for f, v in fields.items()}
    st.text_input(TEMPLATE_LABELS["name"], value=fields["name"], key=keys["name"], on_change=_set_meta,
                  args=(ctx, "name", keys["name"]))
    st.text_area(TEMPLATE_LABELS["description"], value=fields["description"], key=keys["description"],
                 height=80, on_change=_set_meta, args=(ctx, "description", keys["description"]))
    st.text_input(TEMPLATE_LABELS["tags"], value=fields["tags"], key=keys["tags"],
                  on_change=_set_meta, args=(ctx, "tags", keys["tags"]))
    reason = _save_blocker(ctx)
    st.button("Save", key="builder_save", type="primary", icon="💾", on_click=_save, args=(ctx,),
              disabled=reason is not None, help=reason or "Every save is a new version.")
    if reason:
        st.caption(f"Save is off: {reason}")
    deleted = st.session_state.get(DELETED_KEY)
    if deleted:
        st.warning(f"Deleted “{deleted}”.")
        st.button("Undo delete", key="builder_undo_delete", icon="↩️", on_click=_undo_delete,
                  args=(ctx, deleted))
    saved_as = st.session_state.get(session.SAVED_AS)
    if saved_as:
        _versions(ctx, saved_as)


def _save_blocker(ctx: session.Draft) -> str | None:
    if ctx.errors:
        return (f"the draft has {len(ctx.errors)} problem{'s' if len(ctx.errors) != 1 else ''} "
                "to fix first (your work is kept automatically)")
    if ctx.spec.name in bundled_names(ctx):
        return "this is a bundled template's name: choose a name of your own"
    return None


def _versions(ctx: session.Draft, name: str) -> None:
    try:
        versions = ctx.svc.store.template_versions(ctx.actor, name)
    except NotFound:
        return
    st.markdown(f"**Versions of “{name}”** ({len(versions)})")
    for version in versions[:12]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(version.created_at))
        with st.expander(f"v{version.version} · {when}" + (f" · {version.note}" if version.note
                                                            else "")):
            try:
                st.code(dump_yaml(TemplateSpec.model_validate(version.document)), language="yaml")
            except ValueError:
                st.json(version.document)
            if version.version != versions[0].version:
                st.button(f"Restore version {version.version}", key=f"builder_restore_{version.version}",
                          icon="⏪", on_click=_restore, args=(ctx, name, version.version))
    dup_key = f"builder_duplicate_name_{session.digest(name)}"
    left, right = st.columns([3, 2], vertical_alignment="bottom")
    left.text_input("Copy name", value=f"{name} (copy)", key=dup_key)
    right.button("Duplicate", key="builder_duplicate", icon="📄", on_click=_duplicate,
                 args=(ctx, name, dup_key), width="stretch")
    st.button(f"Delete “{name}”", key="builder_delete", icon="🗑️", on_click=_delete,
              args=(ctx, name))


# -- run ----------------------------------------------------------------------------------------
def run_blocker(ctx: session.Draft) -> str | None:
    """Why the draft cannot run yet, in a sentence (None: it can). Unlike saving, a draft
    may run under a bundled template's name: running never stores it."""
    if ctx.errors:
        first = sentence(ctx.errors[0], ctx.spec)
        more = f" (and {len(ctx.errors) - 1} more below)" if len(ctx.errors) > 1 else ""
        return f"{first}{more}"
    return None

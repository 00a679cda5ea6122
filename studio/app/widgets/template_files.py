"""Import and export templates as files, shown in the Gallery.

Import: our YAML/JSON template, a bundle of templates, an AutoGen Studio 0.4 team (or
gallery) or a 0.2 workflow export, with a report per template of what was mapped, what
could not be, and the name it will be stored under (the rule of :mod:`studio.runs`, shared
with ``roundtable templates import``: nothing already there is replaced). A bad file shows
every problem with its place, and nothing is stored; a good file is stored all at once.
Export: one template as YAML, JSON or a runnable Python script, or every stored template
as one bundle file that restores into an empty database.

Widget keys: ``template_upload``, ``template_import_add``, ``template_export_select``,
``template_export_yaml``, ``template_export_json``, ``template_export_python``,
``template_export_all``. The import itself is :func:`studio.runs.plan_import` and
:func:`studio.runs.apply_import`.
"""

from __future__ import annotations

import streamlit as st

from studio.app._builder_text_problems import explain
from studio.app._catalog import TemplateEntry
from studio.app._markdown import literal
from studio.runs import ImportPlan, apply_import, plan_import
from studio.spec import (
    SUMMARY_LIMIT,
    Registry,
    SpecError,
    TemplateSpec,
    export_bundle_text,
    export_file,
    export_script,
    file_name_for,
    load_template,
    summarise,
)
from studio.store import Actor, Store

FORMAT_LABELS = {
    "roundtable": "Roundtable template",
    "roundtable-bundle": "Roundtable bundle",
    "autogen-0.4": "AutoGen Studio 0.4 team",
    "autogen-0.2": "AutoGen Studio 0.2 workflow",
}


def stored_specs(store: Store, actor: Actor, registry: Registry | None) -> list[TemplateSpec]:
    """Every stored template of the actor's own that loads (the newest version of each)."""
    specs = []
    for info in store.list_templates(actor):
        if not actor.is_owner(info.owner_id):
            continue
        try:
            specs.append(load_template(store.get_template(actor, info.name).document,
                                       registry=registry))
        except Exception:  # noqa: BLE001 - a broken stored template is left out
            continue
    return specs


def export_all_text(store: Store, actor: Actor, registry: Registry | None) -> str:
    """Every stored template as one bundle JSON file (import it to restore them)."""
    return export_bundle_text(stored_specs(store, actor, registry), "json")


# -- the widget -------------------------------------------------------------------------
# Everything a report shows of the file (its name, its templates' names, what was mapped)
# comes from the person's upload: it is shown as it is (``literal``), never read as Markdown.
def _bullets(title: str, lines: list[str]) -> None:
    if lines:
        st.markdown(f"**{title}**\n" + "\n".join(f"- {literal(line)}" for line in lines))


def _add(plan: ImportPlan, store: Store, actor: Actor, registry: Registry | None,
         file_id: str) -> None:
    try:
        items = apply_import(plan, store=store, actor=actor, registry=registry)
    except (SpecError, ValueError) as exc:
        st.session_state["template_import_done"] = (file_id, [], [], str(exc))
        return
    added = [item.name for item in items if item.action != "unchanged"]
    kept = [item.name for item in items if item.action == "unchanged"]
    st.session_state["template_import_done"] = (file_id, added, kept, "")


def _problems_markdown(plan: ImportPlan, registry: Registry | None) -> str:
    """A bad file's problems as the Builder's text view says them (the line, the agent, the
    form's label, the field path small; a syntax error's lines with a caret), when they are
    places in the file's text; else as found (a converted AutoGen Studio team)."""
    if not plan.text:
        return "\n".join(f"- {literal(p)}" for p in summarise(plan.problems))
    explained = explain(plan.errors, plan.text, registry=registry, what="file")
    lines = [p.markdown() for p in explained[:SUMMARY_LIMIT]]
    more = len(explained) - SUMMARY_LIMIT
    if more > 0:
        lines.append(f"- … and {more:,} more problem{'s' if more != 1 else ''}")
    return "\n".join(lines)


def _import_part(store: Store, actor: Actor, registry: Registry | None) -> None:
    upload = st.file_uploader(
        "Import a template file", type=["yaml", "yml", "json"], key="template_upload",
        help="A Roundtable template (YAML or JSON), a bundle of templates, an AutoGen Studio "
             "0.4 team JSON or a 0.2 workflow export.")
    if upload is None:
        return
    file_id = getattr(upload, "file_id", upload.name)
    done = st.session_state.get("template_import_done")
    if done and done[0] == file_id:
        _, added, kept, error = done
        if error:
            st.error(f"Nothing was imported: {literal(error)}", icon="⚠️")
            return
        if added:
            st.success("Added to your templates: " + ", ".join(f"**{literal(n)}**" for n in added)
                       + ". Find them in the Gallery below.", icon="✅")
        if kept:
            st.info("Already in your templates, so not added again: "
                    + ", ".join(f"**{literal(n)}**" for n in kept) + ".", icon="ℹ️")
        return
    plan = plan_import(upload.getvalue(), upload.name, store=store, actor=actor,
                       registry=registry)
    if not plan.ok:
        st.error(f"**{literal(upload.name)} cannot be imported; nothing was stored.**\n\n"
                 + _problems_markdown(plan, registry), icon="⚠️")
        return
    count = len(plan.items)
    st.markdown(f"**{literal(upload.name)}**: {FORMAT_LABELS.get(plan.source_format, plan.source_format)}"
                f", {count} template{'s' if count != 1 else ''}.")
    for item in plan.items:
        with st.container(border=True):
            st.markdown(f"##### {literal(item.name_in_file)}")
            st.caption(f"From: {FORMAT_LABELS.get(item.source_format, item.source_format)} · "
                       f"{len(item.spec.agents)} agents")
            if item.action != "add":
                st.markdown(f"**Name:** {literal(item.plan_line())}.")
            _bullets("Mapped", list(item.mapped))
            _bullets("Not mapped", list(item.not_mapped))
            _bullets("Warnings", list(item.warnings))
    if not plan.to_add:
        st.info("Every template of this file is already in your templates: nothing to add.",
                icon="ℹ️")
        return
    st.button("Add to my templates", key="template_import_add", type="primary", icon="📥",
              on_click=_add, args=(plan, store, actor, registry, file_id))


def _export_part(store: Store, actor: Actor, registry: Registry | None,
                 entries: dict[str, TemplateEntry]) -> None:
    if entries:
        key = st.selectbox(
            "Export a template", list(entries), key="template_export_select",
            format_func=lambda k: entries[k].name + (" (saved)" if entries[k].origin == "saved"
                                                     else ""))
        spec = entries[key].spec
        st.download_button("Download YAML", export_file(spec, "yaml"),
                           file_name=file_name_for(spec, "yaml"), mime="application/yaml",
                           key="template_export_yaml", icon="📄", width="stretch")
        st.download_button("Download JSON", export_file(spec, "json"),
                           file_name=file_name_for(spec, "json"), mime="application/json",
                           key="template_export_json", icon="📄", width="stretch")
        try:
            script = export_script(spec, registry=registry)
        except Exception as exc:  # noqa: BLE001 - the other formats still work
            st.caption(f"No Python script for this template: {exc}")
        else:
            st.download_button("Download Python script", script,
                               file_name=file_name_for(spec, "json").removesuffix(".json") + ".py",
                               mime="text/x-python", key="template_export_python", icon="🐍",
                               width="stretch")
    stored = [i for i in store.list_templates(actor) if actor.is_owner(i.owner_id)]
    if stored:
        st.download_button(f"Download all my templates ({len(stored)})",
                           export_all_text(store, actor, registry),
                           file_name="roundtable_templates.json", mime="application/json",
                           key="template_export_all", icon="🗂️", width="stretch",
                           help="One bundle file with every template you saved or imported; "
                                "import it here to restore them into another studio.")
    else:
        st.caption("Templates you save or import can be downloaded here all at once.")


def template_files(store: Store, actor: Actor, registry: Registry | None,
                   entries: dict[str, TemplateEntry]) -> None:
    """The "Import or export templates" section (an expander, closed by default)."""
    with st.expander("Import or export templates", icon="📁", expanded=False,
                     key="template_files"):
        left, right = st.columns(2, gap="large")
        with left:
            st.markdown("**Import**")
            _import_part(store, actor, registry)
        with right:
            st.markdown("**Export**")
            _export_part(store, actor, registry, entries)

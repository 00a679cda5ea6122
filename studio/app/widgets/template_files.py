"""Import and export templates as files, shown in the Gallery.

Import: our YAML/JSON template, a bundle of templates, an AutoGen Studio 0.4 team (or
gallery) or a 0.2 workflow export, with a report per template of what was mapped and what
could not be. A bad file shows every problem with its place, and nothing is stored; a good
file is stored all at once, a name already taken gets " (imported)" (then a number).
Export: one template as YAML, JSON or a runnable Python script, or every stored template
as one bundle file that restores into an empty database.

Widget keys: ``template_upload``, ``template_import_add``, ``template_export_select``,
``template_export_yaml``, ``template_export_json``, ``template_export_python``,
``template_export_all``. The logic is in plain functions (:func:`read_upload`,
:func:`save_imported`, :func:`export_all_text`) so it can be tested without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from studio.app._catalog import TemplateEntry
from studio.spec import (
    Registry,
    SpecError,
    TemplateSpec,
    export_bundle_text,
    export_file,
    export_script,
    file_name_for,
    import_file,
    load_template,
)
from studio.store import Actor, Store

FORMAT_LABELS = {
    "roundtable": "Roundtable template",
    "roundtable-bundle": "Roundtable bundle",
    "autogen-0.4": "AutoGen Studio 0.4 team",
    "autogen-0.2": "AutoGen Studio 0.2 workflow",
}


@dataclass
class ImportItem:
    """One template of an uploaded file and what happened to it on the way in."""

    spec: TemplateSpec
    source_format: str
    mapped: list[str] = field(default_factory=list)
    not_mapped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportPreview:
    """What an uploaded file holds: templates ready to store, or the problems found."""

    filename: str
    source_format: str = ""
    items: list[ImportItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "path: message" each

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.items)


def read_upload(content: bytes | str, filename: str, registry: Registry | None) -> ImportPreview:
    """Parse and check an uploaded file; never raises for a bad file, stores nothing."""
    try:
        found = import_file(content, filename, registry=registry)
    except SpecError as exc:
        problems = [str(p) for p in (exc.errors or exc.problems)]
        return ImportPreview(filename, problems=problems or [str(exc)])
    except (ValueError, UnicodeDecodeError) as exc:
        return ImportPreview(filename, problems=[f"{filename}: {exc}"])
    items = [ImportItem(r.spec, r.source_format or found.source_format, list(r.mapped),
                        list(r.not_mapped), list(r.warnings)) for r in found.reports]
    if not items:
        return ImportPreview(filename, found.source_format,
                             problems=[f"{filename}: the file holds no templates"])
    return ImportPreview(filename, found.source_format, items)


def taken_names(store: Store, actor: Actor, registry: Registry | None) -> set[str]:
    """Names already used by a stored or a bundled template (case-insensitive)."""
    from studio.app._catalog import _bundled

    names = {info.name for info in store.list_templates(actor, include_deleted=True)
             if actor.is_owner(info.owner_id)}
    if registry is not None:
        names |= {spec.name for spec in _bundled(registry).values()}
    return {n.casefold() for n in names}


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, else ``name (imported)``, else ``name (imported 2)``, ..."""
    candidate = name
    number = 1
    while candidate.casefold() in taken:
        candidate = f"{name} (imported)" if number == 1 else f"{name} (imported {number})"
        number += 1
    return candidate


def save_imported(preview: ImportPreview, store: Store, actor: Actor,
                  registry: Registry | None) -> list[str]:
    """Store every template of a good preview; returns the names they were stored under.

    Every document is renamed and re-checked before the first one is written, so a
    problem leaves the store untouched.
    """
    if not preview.ok:
        raise ValueError("the file has problems; nothing was imported")
    taken = taken_names(store, actor, registry)
    planned: list[tuple[str, dict, TemplateSpec]] = []
    for item in preview.items:
        name = unique_name(item.spec.name, taken)
        taken.add(name.casefold())
        document = item.spec.to_dict()
        document["name"] = name
        spec = load_template(document, registry=registry)  # raises SpecError, nothing stored
        planned.append((name, document, spec))
    for name, document, spec in planned:
        store.save_template(actor, name, document, description=spec.description, tags=tuple(spec.tags),
                            note=f"imported from {preview.filename}")
    return [name for name, _, _ in planned]


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
def _bullets(title: str, lines: list[str]) -> None:
    if lines:
        st.markdown(f"**{title}**\n" + "\n".join(f"- {line}" for line in lines))


def _add(preview: ImportPreview, store: Store, actor: Actor, registry: Registry | None,
         file_id: str) -> None:
    try:
        names = save_imported(preview, store, actor, registry)
    except (SpecError, ValueError) as exc:
        st.session_state["template_import_done"] = (file_id, [], str(exc))
        return
    st.session_state["template_import_done"] = (file_id, names, "")


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
        _, names, error = done
        if error:
            st.error(f"Nothing was imported: {error}", icon="⚠️")
        else:
            st.success("Added to your templates: " + ", ".join(f"**{n}**" for n in names)
                       + ". Find them in the Gallery below.", icon="✅")
        return
    preview = read_upload(upload.getvalue(), upload.name, registry)
    if not preview.ok:
        st.error(f"**{upload.name} cannot be imported; nothing was stored.**\n"
                 + "\n".join(f"- {p}" for p in preview.problems), icon="⚠️")
        return
    count = len(preview.items)
    st.markdown(f"**{upload.name}**: {FORMAT_LABELS.get(preview.source_format, preview.source_format)}"
                f", {count} template{'s' if count != 1 else ''}.")
    for item in preview.items:
        with st.container(border=True):
            st.markdown(f"##### {item.spec.name}")
            st.caption(f"From: {FORMAT_LABELS.get(item.source_format, item.source_format)} · "
                       f"{len(item.spec.agents)} agents")
            _bullets("Mapped", item.mapped)
            _bullets("Not mapped", item.not_mapped)
            _bullets("Warnings", item.warnings)
    st.button("Add to my templates", key="template_import_add", type="primary", icon="📥",
              on_click=_add, args=(preview, store, actor, registry, file_id))


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

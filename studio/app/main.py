"""Roundtable Studio, the Streamlit app, served by ``studio/app/server.py`` (``roundtable ui``
runs ``streamlit run studio/app/server.py``, which adds the session cookie's route).

Pages live in ``views/`` (NOT ``pages/``: a ``pages/`` folder beside the entry script makes
Streamlit route direct URLs the old multipage way, skipping st.navigation and this file).
Pages (st.navigation; URL paths in brackets): Gallery [/ (the default page); /gallery
opens it too, at /, keeping the link's query], Playground
[/playground], Builder [/builder], Documents [/documents], Models [/models], History
[/history], Compare [/compare], Settings [/settings].
ROUNDTABLE_DATA_DIR and ROUNDTABLE_DB_URL choose the data folder and the database;
ROUNDTABLE_BROKER_URL (a Redis URL) hands runs to Celery workers (``roundtable worker``).

Stable hooks for end-to-end tests (widget keys become CSS classes ``st-key-<key>``):

- Gallery: one bordered card per template (``st-key-card-<template key>``) with a button
  labelled "Run" (key ``gallery_run_<template key>``, e.g. ``gallery_run_code_assistant``);
  it starts the template on its first sample task and shows the run in the Playground.
- Playground, above a run: the task box ``task_again_<first 8 of the run id>`` and
  "Run again" (a new run of the same team on the edited task); pills "Other sample tasks".
- Gallery, "Import or export templates": expander ``template_files`` with the uploader
  ``template_upload``, ``template_import_add``, ``template_export_select``,
  ``template_export_yaml`` / ``_json`` / ``_python`` and ``template_export_all``.
- Playground: ``template_select``, ``model_select`` (selectboxes), ``task_input`` (the
  container of the chosen template's task box, in a form), ``run_button`` (label "Run"). The current run id is kept in the URL as
  ``?run=<id>`` (reloading re-attaches). Each message is an ``st.chat_message``
  (``[data-testid="stChatMessage"]``) whose first line is the sender's name in bold.
  While live: buttons "Pause" (``pause_button``) / "Resume" (``resume_button``) and
  "Stop" (``stop_button``); the chat box ``interject_input`` (the only box, always there
  while the run goes: a pending reply is what is typed there, else it steps in). When asked
  for a reply: "Continue without me" (``continue_button``) and "End the chat"
  (``end_chat_button``); speaker buttons ``speaker_<agent>``; code approval "Approve and
  run" (``approve_code``), and in the expander "Edit the code, or refuse it" the forms
  ``edit_code_form`` ("Run my version") and ``refuse_code_form`` ("Refuse", with the
  reason "Why not? (the agents read this)"). The status line starts with the status
  ("Running", "Waiting for you", "Paused", "Finished", "Stopped", "Failed"); the end of a
  run shows "The run ended:" with its reason and summary.
- Playground / History, under an ended run, "What next?": tabs "💬 Continue" (form
  ``continue_form_<key>``, text area "Follow-up message", "Continue the conversation"),
  "🔀 Fork from a message" (``fork_pick_<key>``, ``fork_text_<key>``, ``fork_go_<key>``
  "Run from this message") and "⚖️ Compare" (a link to Compare with ``?a=<run id>``).
- Compare [/compare]: pickers ``compare_a`` / ``compare_b`` (``?a=``/``?b=``), a figures table,
  both transcripts side by side.
- Documents: see ``widgets/documents.py`` for its keys; the Playground's ``documents_choice``
  (for templates with a retrieval proxy) picks the collection a run reads.
- Models: form ``add_model_form`` (``model_preset`` selectbox outside it, ``model_name``,
  ``model_base_url``, ``model_model``, ``model_key_env``, ``model_key_value``; submit
  "Save model"); per model "Test" (``test_<name>``) and "Delete" (``delete_<name>``);
  OAI_CONFIG_LIST upload ``oai_config_upload`` and button "Import" (``oai_import``).
- History: filters ``history_status`` and ``history_template``, the run picker
  ``history_run_select``, downloads "Export Markdown" (``export_md``) and "Export JSON"
  (``export_json``), "Delete run" (``delete_run``) confirmed by ``delete_run_confirm``.
- Settings: toggle ``allow_unsandboxed_toggle``.
- Deploy [/deploy] (administrators): one bordered box per running `roundtable serve`
  (``st-key-service-<n>``) with an expander per served template holding curl and Python
  examples; the command to start one (``deploy_templates``, ``deploy_port``,
  ``deploy_reach``); the key form ``deploy_key_form`` (``deploy_key_name``,
  ``deploy_key_limit``, button "Create key"), the new key shown once in a code block, the
  keys table, and "Revoke a key" (``deploy_revoke_select``, ``deploy_revoke``).
- History: each run's source (Studio, CLI, API with its key's name).
- Shared mode (``ROUNDTABLE_MODE=shared``): until someone signs in, the only page is
  "Sign in" (see ``views/sign_in.py``), served under every page's URL too so that a shared
  link (``/playground?run=...``) opens its page once signed in; then the sidebar says "Signed in as <name>" with
  "Sign out" (``sign_out``), administrators get the Workshop page [/workshop] (see
  ``views/workshop.py``), and one's own saved templates have the Gallery toggle "Shared with
  the workshop" (``share_saved-<name>``, other characters as ``-``).
"""

from __future__ import annotations

import sys
from pathlib import Path

try:
    import studio  # noqa: F401
except ModuleNotFoundError:  # started from a checkout: `streamlit run studio/app/main.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from studio.app._auth import NEXT_PAGE, cookie_writer, shared_mode, sign_in_state, sign_out
from studio.app._guard import note_page, page_guard
from studio.app._services import services

_HERE = Path(__file__).resolve().parent / "views"
# (file in views/, title, icon, URL path, who may open it: "all", "admin", "shared admin")
_PAGES = (
    ("gallery.py", "Gallery", "🖼️", "gallery", "all"),
    ("playground.py", "Playground", "🎛️", "playground", "all"),
    ("builder.py", "Builder", "🧩", "builder", "all"),
    ("documents.py", "Documents", "📚", "documents", "all"),
    ("models.py", "Models", "🧠", "models", "all"),
    ("history.py", "History", "🕘", "history", "all"),
    ("compare.py", "Compare", "⚖️", "compare", "all"),
    ("settings.py", "Settings", "⚙️", "settings", "all"),
    ("workshop.py", "Workshop", "🧑‍🏫", "workshop", "shared admin"),
    ("deploy.py", "Deploy", "🚀", "deploy", "admin"),
)
_DEFAULT = "gallery"  # the path of the default page, served at /


def _signed_out_pages() -> list:
    """Only the sign-in, under every page's URL too (hidden): a shared link such as
    ``/playground?run=...`` shows the sign-in instead of "Page not found", and after signing
    in the same URL opens the page it named (a page's identity is its URL path)."""
    sign_in = _HERE / "sign_in.py"
    return [st.Page(sign_in, title="Sign in", icon="🔑", url_path="sign-in", default=True),
            *(st.Page(sign_in, title="Sign in", icon="🔑", url_path=path, visibility="hidden")
              for _, _, _, path, _ in _PAGES)]


def _not_for_you(title: str, icon: str, reason: str):  # noqa: ANN202 - a page's callable
    def page() -> None:
        st.title(f"{icon} {title}")
        st.info(reason, icon="🔒")
        st.page_link("views/gallery.py", label="Go to the Gallery", icon="🖼️")
    return page


def _to_default(file: Path):  # noqa: ANN202 - a page's callable
    def page() -> None:
        st.switch_page(file, query_params=st.query_params.to_dict())
    return page


def _pages(actor) -> list:  # noqa: ANN001 - studio.store.Actor
    """The pages this actor may open; one they may not (an administrator's page, the
    Workshop outside shared mode) still answers its URL, hidden, saying why. The default
    page (the Gallery) is served at /, and its own path (/gallery, which a link or the
    sign-in may name) opens it there."""
    pages = []
    for file, title, icon, path, who in _PAGES:
        if not (_HERE / file).is_file():
            continue
        allowed = (who == "all" or (who == "admin" and actor.is_admin)
                   or (who == "shared admin" and actor.is_admin and shared_mode()))
        if allowed and path == _DEFAULT:
            # the default page's path is "" (a page's identity is its path): its own
            # path is a hidden page that opens it
            pages.append(st.Page(_HERE / file, title=title, icon=icon, url_path="",
                                 default=True))
            pages.append(st.Page(_to_default(_HERE / file), title=title, icon=icon,
                                 url_path=path, visibility="hidden"))
            continue
        if allowed:
            pages.append(st.Page(_HERE / file, title=title, icon=icon, url_path=path))
            continue
        reason = (f"Only administrators can open the {title} page: ask the workshop's teacher."
                  if shared_mode() or who == "admin" else
                  f"The {title} page is for a shared studio: start it with "
                  "`roundtable ui --shared`.")
        pages.append(st.Page(_not_for_you(title, icon, reason), title=title, icon=icon,
                             url_path=path, visibility="hidden"))
    return pages


def main() -> None:
    st.set_page_config(page_title="Roundtable Studio", page_icon="🪑", layout="wide")
    svc = services()
    actor = sign_in_state(svc.store)
    cookie_writer(svc.store)
    if actor is None:  # shared mode, nobody signed in: the sign-in page is the only page
        page = st.navigation(_signed_out_pages())
        titles = {path: title for _, title, _, path, _ in _PAGES}
        st.session_state[NEXT_PAGE] = titles.get(page.url_path)
        page.run()
        return
    pages = _pages(actor)
    page = st.navigation(pages)
    with st.sidebar:
        st.markdown("### 🪑 Roundtable Studio")
        st.caption("Multi-agent conversations, live. Start in the Gallery, run in the Playground.")
        with page_guard("sidebar"):
            active = svc.manager.active(actor)
            if active:
                st.caption(f"🟢 {len(active)} run{'s' if len(active) != 1 else ''} going")
            if shared_mode():
                role = "administrator" if actor.is_admin else "member"
                st.caption(f"Signed in as **{actor.name}** ({role})")
                if st.button("Sign out", key="sign_out", icon="🚪"):
                    sign_out(svc.store)
    note_page(page.url_path)
    page.run()


main()

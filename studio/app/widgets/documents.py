"""The Documents page's parts: a collection's files, adding files, trying a question,
embeddings, and the choice of collection a retrieval template runs on.

Widget keys (stable for tests): ``new_collection_name`` + "Create collection"
(``create_collection``), in the page's first form, then in the "New collection" popover;
``collection_select``; the uploader ``documents_upload_<n>`` (a new ``n`` after each addition,
so it starts empty) + "Add to the collection" (``documents_add``); ``remove_<file>``;
``documents_query`` + "Search" (``documents_search``); ``embedding_config``,
``embedding_model`` + "Compute embeddings" (``embeddings_compute``), "Use BM25 only"
(``embeddings_off``); "Delete this collection" (``collection_delete``, then
``collection_delete_confirm``). Playground: ``documents_choice``.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from studio.engine.retrieval import SUPPORTED
from studio.runs import DocumentsError, add_files, compute_embeddings, search
from studio.spec import AgentKind, TemplateSpec
from studio.store import AlreadyExists, StoreError

from .._guard import show_error
from .files import human_size

TEMPLATE_DOCUMENTS = "(the template's own sample documents)"
FLASH = "documents_flash"
PICK = "documents_pick"
CREATED = "documents_created"  # how many were made this session: keys a fresh popover


def failed(exc: Exception, *, what: str) -> None:
    """A documents error says what to do already; anything else gets the details too."""
    if isinstance(exc, DocumentsError):
        said = str(exc)
        st.error(f"**{what}.** {said[:1].upper()}{said[1:]}", icon="⚠️")
    else:
        show_error(exc, what=what)


def key_part(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, ""))
    if kind:
        (st.success if kind == "success" else st.error if kind == "error" else st.info)(text)


def create_form(svc: Any, actor: Any, *, first: bool) -> None:
    """A small form to make a collection (then shown as the chosen one): in a bordered box
    for the first one, in a popover beside the collection picker after that."""
    with st.form("new_collection", border=first, clear_on_submit=True):
        if first:
            st.markdown("**Make your first collection**: give it a name, then add files.")
        left, right = st.columns([3, 2])
        name = left.text_input("Name", key="new_collection_name",
                               placeholder="e.g. Club handbook")
        size = right.number_input("Chunk size (characters)", min_value=200, max_value=8000,
                                  value=1000, step=100, key="new_collection_chunk",
                                  help="How much text one retrieved passage holds.")
        if not st.form_submit_button("Create collection", key="create_collection", icon="➕"):
            return
    try:
        made = svc.store.create_collection(actor, name, chunk_size=int(size))
    except AlreadyExists:
        st.error(f"You already have a collection named **{name.strip()}**; pick another name.")
        return
    except StoreError as exc:
        st.error(str(exc))
        return
    st.session_state[FLASH] = ("success", f"Created **{made.name}**. Now add files to it.")
    st.session_state[PICK] = made.name  # chosen on the rerun, before the picker is drawn
    st.session_state[CREATED] = int(st.session_state.get(CREATED, 0)) + 1  # a closed popover
    st.rerun()


def summary(info: Any) -> None:
    left, mid, right = st.columns(3)
    left.metric("Documents", info.documents)
    mid.metric("Passages (chunks)", info.chunks)
    right.metric("Search", "Embeddings" if info.method == "embeddings" else "BM25 (offline)")
    if info.embedding_model and info.method != "embeddings":
        st.caption(f"Embeddings with **{info.embedding_model}** cover {info.embedded} of "
                   f"{info.chunks} passages; until all have one, search uses BM25.")


def upload(svc: Any, actor: Any, collection: str) -> None:
    types = sorted({s.lstrip(".") for s in SUPPORTED})
    round_no = int(st.session_state.get("documents_upload_round", 0))
    files = st.file_uploader("Add files: PDF, Word (.docx), HTML, Markdown or text", type=types,
                             accept_multiple_files=True, key=f"documents_upload_{round_no}")
    if not st.button("Add to the collection", key="documents_add", type="primary",
                     icon="📥", disabled=not files):
        return
    bar = st.progress(0.0, text="Reading the files…")

    def progress(done: int, total: int, what: str) -> None:
        bar.progress(done / total if total else 1.0, text=what)

    try:
        report = add_files(svc.store, actor, collection,
                           [(f.name, f.getvalue()) for f in files or []], on_progress=progress)
    except Exception as exc:  # noqa: BLE001 - shown with what to do
        failed(exc, what="The files could not be added")
        return
    lines = [f"Added **{n}**." for n in report.added]
    lines += [f"Replaced **{n}** (a file of that name was there)." for n in report.replaced]
    if lines:
        lines.append(f"{report.chunks} passages in all.")
    if report.failed:
        problems = "\n".join(f"- {reason}" for _, reason in report.failed)
        st.session_state[FLASH] = ("error", "\n\n".join(lines + [f"Not added:\n{problems}"]))
    else:
        st.session_state[FLASH] = ("success", " ".join(lines))
    st.session_state["documents_upload_round"] = round_no + 1  # a fresh, empty uploader
    st.rerun()


def documents_table(svc: Any, actor: Any, collection: str) -> None:
    documents = svc.store.documents(actor, collection)
    if not documents:
        st.info("No files yet: add some above.", icon="📄")
        return
    for doc in documents:
        left, right = st.columns([5, 1])
        left.markdown(f"📄 **{doc.source}** · {doc.kind} · {doc.chunks} passage"
                      f"{'s' if doc.chunks != 1 else ''} · {human_size(doc.size)}")
        if right.button("Remove", key=f"remove_{key_part(doc.source)}", icon="🗑️"):
            svc.store.remove_document(actor, collection, doc.source)
            st.session_state[FLASH] = ("success", f"Removed **{doc.source}**.")
            st.rerun()


def try_question(svc: Any, actor: Any, collection: str) -> None:
    with st.form("documents_try", border=False):
        query = st.text_input("Try a question", key="documents_query",
                              placeholder="What would you ask about these documents?")
        asked = st.form_submit_button("Search", key="documents_search", icon="🔎")
    if not asked or not query.strip():
        return
    try:
        hits = search(svc.store, actor, svc.registry_for(actor), collection, query, k=3)
    except Exception as exc:  # noqa: BLE001 - shown with what to do
        failed(exc, what="The search failed")
        return
    if not hits:
        st.info("No passage matches those words. Try other words, or compute embeddings "
                "to search by meaning.")
    for hit in hits:
        with st.container(border=True):
            st.markdown(f"**[{hit.rank}] {hit.chunk.label}** · score {hit.score:.3f}")
            st.text(hit.chunk.text)


def embeddings(svc: Any, actor: Any, collection: str, info: Any) -> None:
    registry = svc.registry_for(actor)
    configs = sorted((n for n, m in registry.models.items()
                      if m.api_type not in ("demo", "local", "azure")),
                     key=lambda n: registry.models[n].origin == "bundled")  # yours first
    st.caption("BM25 matches words and works offline. Embeddings match meaning: they come "
               "from an OpenAI-compatible endpoint you configured on the Models page (Ollama "
               "with nomic-embed-text, OpenAI with text-embedding-3-small...) and are kept "
               "with the collection.")
    if not configs:
        st.info("Add an OpenAI-compatible model on the Models page first.", icon="🧠")
        return
    current = info.embedding_config if info.embedding_config in configs else configs[0]
    left, right = st.columns(2)
    config = left.selectbox("Endpoint (model configuration)", configs,
                            index=configs.index(current), key="embedding_config",
                            format_func=lambda n: registry.models[n].label or n)
    model = right.text_input("Embeddings model", value=info.embedding_model or "",
                             key="embedding_model", placeholder="nomic-embed-text")
    go, off = st.columns(2)
    if go.button("Compute embeddings", key="embeddings_compute", icon="🧮",
                 disabled=not info.chunks):
        bar = st.progress(0.0, text="Embedding the passages…")

        def progress(done: int, total: int, what: str) -> None:
            bar.progress(done / total if total else 1.0, text=what)

        try:
            count = compute_embeddings(svc.store, actor, registry, collection, config=config,
                                       model=model, on_progress=progress)
        except Exception as exc:  # noqa: BLE001 - shown with what to do
            bar.empty()  # no half-drawn bar left standing under the error
            failed(exc, what="The embeddings could not be computed")
            return
        st.session_state[FLASH] = ("success", f"Embedded {count} passages with **{model}**: "
                                              "search now goes by meaning.")
        st.rerun()
    if info.embedding_model and off.button("Use BM25 only", key="embeddings_off", icon="↩️"):
        svc.store.set_embedding_model(actor, collection, config=None, model=None)
        st.session_state[FLASH] = ("success", "Search uses BM25 again; the embeddings were "
                                              "removed.")
        st.rerun()


def delete_collection(svc: Any, actor: Any, collection: str) -> None:
    if st.button("Delete this collection", key="collection_delete", icon="🗑️"):
        st.session_state["collection_delete_ask"] = collection
    if st.session_state.get("collection_delete_ask") == collection:
        st.warning(f"Delete **{collection}** and all its files? Templates that use it will "
                   "ask for another collection.")
        if st.button("Yes, delete it", key="collection_delete_confirm", type="primary"):
            svc.store.delete_collection(actor, collection)
            st.session_state.pop("collection_delete_ask", None)
            st.session_state.pop("collection_select", None)
            st.session_state[FLASH] = ("success", f"Deleted **{collection}**.")
            st.rerun()


# -- the Playground's choice ----------------------------------------------------------------
def documents_choice(svc: Any, actor: Any, spec: TemplateSpec) -> str | None:
    """For a template with a retrieval proxy: which documents it reads (None: as saved)."""
    proxies = [a for a in spec.agents if a.kind == AgentKind.RETRIEVE_USER_PROXY]
    if not proxies:
        return None
    names = [c.name for c in svc.store.collections(actor)]
    saved = next((a.retrieval.collection for a in proxies if a.retrieval
                  and a.retrieval.collection), None)
    options = [TEMPLATE_DOCUMENTS] + names
    if saved and saved not in names:
        options.insert(1, saved)
    if st.session_state.get("documents_choice") not in options:
        st.session_state["documents_choice"] = saved or TEMPLATE_DOCUMENTS
    if saved:
        options[0] = f"{saved} (as saved in the template)"
        if st.session_state["documents_choice"] in (saved, TEMPLATE_DOCUMENTS):
            st.session_state["documents_choice"] = options[0]
    choice = st.selectbox("Documents", options, key="documents_choice",
                          help="Which documents the retrieval proxy searches. Make collections "
                               "of your own files on the Documents page.")
    if not names:
        st.caption("📚 Add your own files on the **Documents** page to ask about them here.")
    return None if choice == options[0] else choice

"""Documents: your own files as collections for the retrieval templates."""

from __future__ import annotations

import streamlit as st

from studio.app._auth import current_actor
from studio.app._guard import page_guard
from studio.app._services import services
from studio.app.widgets import documents as docs

with page_guard("Documents"):
    svc = services()
    actor = current_actor()
    st.title("📚 Documents")
    st.caption("Collections of your own files for the retrieval templates (*Retrieval-augmented "
               "question answering*, *Code from your documentation*): the retrieval proxy "
               "sends the assistant the passages that match the question, and more when it "
               "asks. Your collections are private to you.")
    names = [c.name for c in svc.store.collections(actor)]
    if not names:
        docs.flash()
        docs.create_form(svc, actor, first=True)
        st.info("No collections yet: create one above, then add files to it.", icon="📚")
        st.stop()
    if st.session_state.get(docs.PICK) in names:
        st.session_state["collection_select"] = st.session_state.pop(docs.PICK)
    if st.session_state.get("collection_select") not in names:
        st.session_state["collection_select"] = names[0]
    pick, new = st.columns([4, 1], vertical_alignment="bottom")
    chosen = pick.selectbox("Collection", names, key="collection_select")
    with new.popover("New collection", icon="➕", width="stretch",
                     key=f"new_collection_{st.session_state.get(docs.CREATED, 0)}"):
        docs.create_form(svc, actor, first=False)
    docs.flash()
    info = svc.store.collection(actor, chosen)
    docs.summary(info)
    docs.upload(svc, actor, chosen)
    st.subheader("Files")
    docs.documents_table(svc, actor, chosen)
    if info.chunks:
        st.subheader("Try it")
        docs.try_question(svc, actor, chosen)
    with st.expander("Search by meaning: embeddings (optional)",
                     expanded=bool(info.embedding_model)):
        docs.embeddings(svc, actor, chosen, info)
    st.caption(f"To use **{chosen}**: in the Playground, pick a retrieval template and choose "
               "it under *Documents*; or in the Builder, choose it for a Retrieval proxy.")
    docs.delete_collection(svc, actor, chosen)

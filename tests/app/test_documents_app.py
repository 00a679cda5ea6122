"""The Documents page and the retrieval proxy in the Builder (AppTest): a collection's
files and a tried question; a second collection from the popover; embeddings from the
person's endpoint (a loopback server), a plain sentence when they fail; the proxy dropped on
the canvas asks for documents until a collection is chosen; the Playground offers the
person's collections."""

from __future__ import annotations

from studio.runs import add_files
from studio.store import Actor, ModelConfig
from tests.app.test_builder import (  # noqa: F401 - builder is a fixture
    add,
    builder,
    errors_text,
    form_key,
    select_agent,
    spec_of,
)
from tests.support.documents import sample_files
from tests.support.oai_server import OAIServer

LOCAL = Actor.local()


def club(svc) -> None:  # noqa: ANN001
    svc.store.create_collection(LOCAL, "club")
    add_files(svc.store, LOCAL, "club", sample_files().items())


def test_the_documents_page_lists_files_and_answers_a_tried_question(app, svc) -> None:
    at = app("documents")
    assert "No collections yet" in [i.value for i in at.info][0]
    club(svc)
    at.run()
    assert not at.exception, at.exception
    assert [m.value for m in at.metric] == ["5", "9", "BM25 (offline)"]
    files = " ".join(m.value for m in at.markdown)
    assert "**timetable.pdf** · pdf · 2 passages" in files
    at.text_input(key="documents_query").set_value("When does the choir rehearse?")
    at.button(key="documents_search").click().run()
    shown = " ".join(m.value for m in at.markdown)
    assert "**[1] choir.md, Groups › Choir**" in shown
    at.button(key="remove_wifi-txt").click().run()
    assert "Removed **wifi.txt**." in [s.value for s in at.success][0]
    assert [d.source for d in svc.store.documents(LOCAL, "club")] == [
        "canoe.html", "choir.md", "shed.docx", "timetable.pdf"]


def test_a_second_collection_and_embeddings_from_the_persons_endpoint(app, svc) -> None:
    club(svc)
    with OAIServer() as server:
        svc.store.save_model_config(LOCAL, ModelConfig(
            name="My Ollama", provider="openai_compatible", model="test-model",
            base_url=server.base_url))
        at = app("documents")
        at.text_input(key="new_collection_name").set_value("Recipes")
        at.button(key="create_collection").click().run()
        assert not at.exception, at.exception
        assert at.selectbox(key="collection_select").value == "Recipes"  # the new one is shown
        assert "Created **Recipes**" in at.success[0].value
        at.selectbox(key="collection_select").set_value("club").run()
        assert at.selectbox(key="embedding_config").value == "My Ollama"  # yours come first
        at.text_input(key="embedding_model").set_value("nope")
        at.button(key="embeddings_compute").click().run()
        assert "has no embeddings model 'nope'" in at.error[0].value
        assert not at.get("progress")  # the bar goes when the error comes
        assert "Something went wrong" not in at.error[0].value  # it says what to do
        at.text_input(key="embedding_model").set_value("test-embed")
        at.button(key="embeddings_compute").click().run()
        assert not at.exception, at.exception
        assert "Embedded 9 passages with **test-embed**" in at.success[0].value
        assert [m.value for m in at.metric][2] == "Embeddings"
        assert len(server.embedding_requests()) >= 1
    at.button(key="embeddings_off").click().run()
    assert [m.value for m in at.metric][2] == "BM25 (offline)"
    assert svc.store.collection(LOCAL, "club").embedded == 0


def test_the_builders_retrieval_proxy_reads_a_chosen_collection(builder, svc) -> None:  # noqa: F811
    club(svc)
    at = add(builder(), "rag_proxy", "assistant")
    needs = "retrieval proxy needs documents: choose a document collection"
    assert needs in errors_text(at)
    select_agent(at, 0)
    at.selectbox(key=form_key(at, "collection")).set_value("club").run()
    assert not at.exception, at.exception
    retrieval = spec_of(at).agent("rag_proxy").retrieval
    assert (retrieval.collection, retrieval.n_results, retrieval.task) == ("club", 3, "qa")
    assert needs not in errors_text(at)
    at.number_input(key=form_key(at, "n_results")).set_value(5).run()
    assert spec_of(at).agent("rag_proxy").retrieval.n_results == 5


def test_the_playground_offers_the_persons_collections_for_retrieval_templates(app, svc) -> None:
    club(svc)
    at = app("playground")
    at.selectbox(key="template_select").set_value("retrieval_qa").run()
    choice = at.selectbox(key="documents_choice")
    assert choice.options == ["(the template's own sample documents)", "club"]
    at.selectbox(key="template_select").set_value("chess_game").run()
    assert not [s for s in at.selectbox if s.key == "documents_choice"]

"""Bring your own documents: files of every supported type become a collection, BM25 finds
each file's own fact, embeddings come from the person's OpenAI-compatible endpoint (a real
loopback server) and are kept, a run's retrieval proxy reads the runner's collection (no one
else's, in shared mode), and an answer found only in the third-ranked passage of an uploaded
collection comes after one UPDATE CONTEXT round."""

from __future__ import annotations

import pytest

from studio.runs import (
    DocumentsError,
    add_files,
    collection_resolver,
    compute_embeddings,
    registry_with_store,
    search,
)
from studio.spec import BuildError, load_bundled_template
from studio.spec.build import build_team
from studio.store import Actor, ModelConfig, NotFound
from tests.support.documents import FACTS, sample_files
from tests.support.oai_server import OAIServer, error, text

from .conftest import wait_for

LOCAL = Actor.local()


@pytest.fixture
def club(store):
    store.create_collection(LOCAL, "club", chunk_size=400)
    report = add_files(store, LOCAL, "club", sample_files().items())
    assert report.failed == [] and report.replaced == []
    return report


def test_a_collection_from_files_of_every_type(store, club):
    assert sorted(club.added) == ["canoe.html", "choir.md", "shed.docx", "timetable.pdf",
                                  "wifi.txt"]
    info = store.collection(LOCAL, "club")
    assert info.documents == 5 and info.chunks == club.chunks and info.method == "bm25"
    registry = registry_with_store(store, LOCAL)
    questions = {"pdf": "When does the night bus to Lindholm leave?",
                 "docx": "Where is the spare key to the tool shed?",
                 "html": "For how long may members borrow the canoe?",
                 "md": "When does the choir rehearse?",
                 "txt": "What is the Wi-Fi password of the club house?"}
    sources = {"pdf": "timetable.pdf", "docx": "shed.docx", "html": "canoe.html",
               "md": "choir.md", "txt": "wifi.txt"}
    for kind, question in questions.items():
        best = search(store, LOCAL, registry, "club", question, k=1)[0]
        assert best.chunk.source == sources[kind], (kind, best.chunk)
        assert FACTS[kind][0] in " ".join(best.chunk.text.split())
    assert search(store, LOCAL, registry, "club", "night bus", k=1)[0].chunk.location == "page 2"


def test_unreadable_files_are_reported_and_the_rest_kept(store):
    store.create_collection(LOCAL, "mixed")
    steps: list[tuple[int, int, str]] = []
    report = add_files(store, LOCAL, "mixed", [("old.doc", b"\xd0\xcf"), ("a.txt", b"hello"),
                                               ("a.txt", b"hello again")],
                       on_progress=lambda *step: steps.append(step))
    assert report.added == ["a.txt"] and report.replaced == ["a.txt"]
    assert report.failed == [("old.doc", "old.doc: .doc cannot be read; save it as .docx "
                                         "(Word 2007 or later) and upload that")]
    assert steps[0] == (0, 3, "Reading old.doc") and steps[-1] == (3, 3, "Done")
    assert [c.text for c in store.collection_chunks(LOCAL, "mixed")] == ["hello again"]


def _embedding_config(store, server, name="loopback"):
    store.save_model_config(LOCAL, ModelConfig(name=name, provider="openai_compatible",
                                               model="test-model", base_url=server.base_url))
    return registry_with_store(store, LOCAL)


def test_embeddings_from_the_persons_endpoint_are_kept_with_the_collection(store, club):
    with OAIServer() as server:
        registry = _embedding_config(store, server)
        steps: list[tuple[int, int, str]] = []
        done = compute_embeddings(store, LOCAL, registry, "club", config="loopback",
                                  model="test-embed", on_progress=lambda *s: steps.append(s))
        assert done == club.chunks and steps[-1] == (done, done, "Done")
        info = store.collection(LOCAL, "club")
        assert (info.method, info.embedding_model, info.embedded) == ("embeddings", "test-embed",
                                                                      club.chunks)
        before = len(server.embedding_requests())
        best = search(store, LOCAL, registry, "club", "the canoe borrow days", k=1)[0]
        assert best.chunk.source == "canoe.html"
        assert len(server.embedding_requests()) == before + 1  # only the question is embedded
        assert compute_embeddings(store, LOCAL, registry, "club", config="loopback",
                                  model="test-embed") == 0  # nothing left to do


def test_a_failed_embedding_keeps_what_was_done_and_says_so(store, club):
    with OAIServer() as server:
        registry = _embedding_config(store, server)
        with pytest.raises(DocumentsError, match="has no embeddings model 'nope'"):
            compute_embeddings(store, LOCAL, registry, "club", config="loopback", model="nope")
        server.push(error(400, "input too long"))
        with pytest.raises(DocumentsError, match=r"failed to embed \(400\).*0 of \d+ chunks "
                                                 r"were embedded and kept"):
            compute_embeddings(store, LOCAL, registry, "club", config="loopback",
                               model="test-embed")
    with pytest.raises(DocumentsError, match="has no embeddings; choose an OpenAI-compatible"):
        compute_embeddings(store, LOCAL, registry, "club", config="demo", model="x")
    with pytest.raises(DocumentsError, match="unknown model 'nowhere'"):
        compute_embeddings(store, LOCAL, registry, "club", config="nowhere", model="x")
    assert store.collection(LOCAL, "club").method == "bm25"  # still answers, offline


def test_a_run_reads_the_collection_of_whoever_runs_it(store, club, make_manager):
    spec = load_bundled_template("retrieval_qa").to_dict()
    spec["agents"][0]["retrieval"]["collection"] = "club"
    manager = make_manager()
    run_id = manager.start(LOCAL, spec, "When does the choir rehearse?",
                           template_name="Retrieval-augmented question answering")
    handle = manager.get(LOCAL, run_id)
    events = wait_for(handle, lambda evs: any(e["type"] == "run_finished" for e in evs), 30)
    first = next(e["message"] for e in events if e["type"] == "message")
    assert first["meta"]["chunks"][0]["source"] == "choir.md"
    assert "Thursdays in the old library" in first["content"]
    # another person has no collection of that name: the run cannot be built, and says why
    member = store.create_account(LOCAL, "bob", "correct horse battery")
    bob = Actor(member.id, "bob")
    with pytest.raises(BuildError, match=r"agents\[0\]\.retrieval\.collection: you have no "
                                         r"document collection named 'club'"):
        manager.start(bob, spec, "When does the choir rehearse?", template_name="rag")


def test_an_empty_collection_is_a_clear_build_error(store, tmp_path):
    store.create_collection(LOCAL, "empty")
    spec = load_bundled_template("retrieval_qa")
    spec.agents[0].retrieval.collection = "empty"  # type: ignore[union-attr]
    resolve = collection_resolver(store, LOCAL, registry_with_store(store, LOCAL))
    with pytest.raises(BuildError, match="the document collection 'empty' is empty"):
        build_team(spec, work_dir=tmp_path, resolve_collection=resolve)


def test_another_persons_collection_cannot_be_listed_read_or_used(store, make_manager):
    ann_id = store.create_account(LOCAL, "ann", "correct horse battery").id
    bob_id = store.create_account(LOCAL, "bob", "correct horse battery").id
    ada_id = store.create_account(LOCAL, "ada", "correct horse battery", role="admin").id
    ann, bob, ada = Actor(ann_id, "ann"), Actor(bob_id, "bob"), Actor(ada_id, "ada", "admin")
    store.create_collection(ann, "club", chunk_size=400)
    add_files(store, ann, "club", sample_files().items())
    spec = load_bundled_template("retrieval_qa").to_dict()
    spec["agents"][0]["retrieval"]["collection"] = "club"
    manager = make_manager()
    handle = manager.get(ann, manager.start(ann, spec, "When does the choir rehearse?",
                                            template_name="rag"))
    events = wait_for(handle, lambda evs: any(e["type"] == "run_finished" for e in evs), 30)
    first = next(e["message"] for e in events if e["type"] == "message")
    assert first["meta"]["chunks"][0]["source"] == "choir.md"
    for other in (bob, ada):  # another member, and an administrator too
        assert store.collections(other) == []
        with pytest.raises(NotFound):
            store.collection(other, "club")
        with pytest.raises(NotFound):
            store.collection_chunks(other, "club")
        with pytest.raises(NotFound):
            add_files(store, other, "club", [("x.txt", b"planted")])
        with pytest.raises(DocumentsError, match="you have no document collection named 'club'"):
            search(store, other, registry_with_store(store, other), "club", "choir")
        with pytest.raises(BuildError, match="you have no document collection named 'club'"):
            manager.start(other, spec, "When does the choir rehearse?", template_name="rag")
    assert [d.source for d in store.documents(ann, "club")] == [
        "canoe.html", "choir.md", "shed.docx", "timetable.pdf", "wifi.txt"]


BUS_FILES = {  # one passage each; BM25 ranks the one with the answer third for QUESTION
    "a.txt": b"The night bus to Lindholm is popular: the night bus to Lindholm is run by the "
             b"city.",
    "b.txt": b"Tickets for the Lindholm night bus cost three euros; buy night bus tickets on "
             b"the bus.",
    "c.txt": b"Buses leave from platform 7; the last one to Lindholm leaves at 23:40.",
    "d.txt": b"The bakery on the square opens at seven.",
}
QUESTION = "When does the night bus to Lindholm leave?"
ANSWER = "The night bus to Lindholm leaves at 23:40 [3]."


def test_the_answer_in_the_third_passage_comes_after_one_update_context_round(store,
                                                                                make_manager):
    store.create_collection(LOCAL, "transport")
    assert add_files(store, LOCAL, "transport", BUS_FILES.items()).chunks == 4
    with OAIServer() as server:
        registry = _embedding_config(store, server, name="scripted")
        ranked = search(store, LOCAL, registry, "transport", QUESTION, k=4)
        assert [h.chunk.source for h in ranked][2] == "c.txt"  # the answer is ranked third
        spec = load_bundled_template("retrieval_qa").to_dict()
        spec["models"] = {"main": "scripted"}  # the assistant asks the loopback server
        spec["agents"][0]["retrieval"]["collection"] = "transport"
        server.push(text("UPDATE CONTEXT"), text(ANSWER))
        manager = make_manager()
        handle = manager.get(LOCAL, manager.start(LOCAL, spec, QUESTION, template_name="rag"))
        assert handle.wait(30)  # the run has ended (its status is set after its last event)
        events = handle.events_since(0)
        sent = [r.body["messages"][-1]["content"] for r in server.chat_requests()]
    assert handle.status == "finished", (handle.error, handle.reason)
    said = [e["message"] for e in events if e["type"] == "message"]
    assert [m["name"] for m in said] == ["rag_proxy", "rag_assistant", "rag_proxy",
                                        "rag_assistant"]
    assert [c["source"] for c in said[0]["meta"]["chunks"]] == ["a.txt", "b.txt"]
    assert said[2]["meta"]["round"] == 2
    assert [c["source"] for c in said[2]["meta"]["chunks"]] == ["c.txt"]
    assert said[3]["content"] == ANSWER
    assert len(sent) == 2  # the model was asked twice: without the answer, then with it
    assert "23:40" not in sent[0] and "[3] c.txt" in sent[1] and "23:40" in sent[1]

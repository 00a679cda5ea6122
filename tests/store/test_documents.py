"""Document collections in the store: private per person, documents replaced by name,
chunks in reading order, embeddings kept with the collection (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from studio.store import Actor, AlreadyExists, NotFound, Store, StoreError

LOCAL = Actor.local()


def chunks(*texts: str) -> list[tuple[str, str]]:
    return [(text, f"page {i}") for i, text in enumerate(texts, 1)]


def test_collections_hold_documents_and_chunks_in_order(store: Store) -> None:
    made = store.create_collection(LOCAL, "  Club   notes ", description="the club's papers")
    assert (made.name, made.documents, made.chunks, made.method) == ("Club notes", 0, 0, "bm25")
    with pytest.raises(AlreadyExists):
        store.create_collection(LOCAL, "Club notes")
    with pytest.raises(StoreError, match="needs a name"):
        store.create_collection(LOCAL, "  ")
    assert store.put_document(LOCAL, "Club notes", source="b.pdf", kind="pdf", size=10,
                              sha256="x", chunks=chunks("b one", "b two")) is False
    store.put_document(LOCAL, "Club notes", source="A.md", kind="markdown", size=5,
                       sha256="y", chunks=chunks("a one"))
    info = store.collection(LOCAL, "Club notes")
    assert (info.documents, info.chunks) == (2, 3)
    assert [(d.source, d.chunks, d.chars) for d in store.documents(LOCAL, "Club notes")] == [
        ("A.md", 1, 5), ("b.pdf", 2, 10)]
    stored = store.collection_chunks(LOCAL, "Club notes")
    assert [(c.source, c.position, c.text, c.location) for c in stored] == [
        ("A.md", 0, "a one", "page 1"), ("b.pdf", 0, "b one", "page 1"),
        ("b.pdf", 1, "b two", "page 2")]
    # the same file name again replaces the document and its chunks
    assert store.put_document(LOCAL, "Club notes", source="b.pdf", kind="pdf", size=3,
                              sha256="z", chunks=chunks("b new")) is True
    assert [c.text for c in store.collection_chunks(LOCAL, "Club notes")] == ["a one", "b new"]
    store.remove_document(LOCAL, "Club notes", "A.md")
    assert [d.source for d in store.documents(LOCAL, "Club notes")] == ["b.pdf"]
    with pytest.raises(NotFound):
        store.remove_document(LOCAL, "Club notes", "A.md")
    with pytest.raises(StoreError, match="no text to keep"):
        store.put_document(LOCAL, "Club notes", source="e.txt", kind="text", size=0,
                           sha256="", chunks=[])
    store.delete_collection(LOCAL, "Club notes")
    assert store.collections(LOCAL) == []
    with pytest.raises(NotFound):
        store.collection_chunks(LOCAL, "Club notes")


def test_embeddings_are_kept_and_forgotten_when_the_model_changes(store: Store) -> None:
    store.create_collection(LOCAL, "docs")
    store.put_document(LOCAL, "docs", source="a.txt", kind="text", size=9, sha256="",
                       chunks=chunks("one", "two"))
    store.set_embedding_model(LOCAL, "docs", config="ollama", model="nomic-embed-text")
    ids = [c.id for c in store.collection_chunks(LOCAL, "docs")]
    assert store.save_embeddings(LOCAL, "docs", {ids[0]: [1.0, 0.0], 999999: [0.0]}) == 1
    info = store.collection(LOCAL, "docs")
    assert (info.embedded, info.method) == (1, "bm25")  # not every chunk has one yet
    store.save_embeddings(LOCAL, "docs", {ids[1]: [0.5, 0.5]})
    info = store.collection(LOCAL, "docs")
    assert (info.embedded, info.method, info.embedding_model) == (2, "embeddings",
                                                                  "nomic-embed-text")
    assert [c.embedding for c in store.collection_chunks(LOCAL, "docs")] == [[1.0, 0.0],
                                                                             [0.5, 0.5]]
    store.set_embedding_model(LOCAL, "docs", config="ollama", model="nomic-embed-text")
    assert store.collection(LOCAL, "docs").embedded == 2  # the same choice keeps them
    store.set_embedding_model(LOCAL, "docs", config="openai", model="text-embedding-3-small")
    assert store.collection(LOCAL, "docs").embedded == 0
    store.set_embedding_model(LOCAL, "docs", config=None, model=None)
    assert store.collection(LOCAL, "docs").method == "bm25"


def test_collections_are_private_to_each_person(store: Store) -> None:
    admin = store.create_account(LOCAL, "ada", "correct horse battery", role="admin")
    member = store.create_account(LOCAL, "bob", "correct horse battery")
    ada, bob = Actor(admin.id, "ada", "admin"), Actor(member.id, "bob")
    store.create_collection(bob, "notes")
    store.create_collection(ada, "notes")  # the same name, another person: fine
    store.put_document(bob, "notes", source="b.txt", kind="text", size=1, sha256="",
                       chunks=chunks("bob's secret"))
    assert [c.text for c in store.collection_chunks(bob, "notes")] == ["bob's secret"]
    assert store.collection_chunks(ada, "notes") == []  # even an administrator sees her own
    assert [c.name for c in store.collections(LOCAL)] == []
    with pytest.raises(NotFound):
        store.collection(LOCAL, "notes")
    with pytest.raises(NotFound):
        store.remove_document(ada, "notes", "b.txt")


def test_collections_go_into_the_backup_and_come_back(store: Store, sqlite_url: str) -> None:
    store.create_collection(LOCAL, "docs", description="d", chunk_size=500)
    store.put_document(LOCAL, "docs", source="a.txt", kind="text", size=9, sha256="s",
                       chunks=chunks("one", "two"))
    store.set_embedding_model(LOCAL, "docs", config="ollama", model="nomic-embed-text")
    first = store.collection_chunks(LOCAL, "docs")[0]
    store.save_embeddings(LOCAL, "docs", {first.id: [0.25, 0.75]})
    backup = store.backup(LOCAL)
    assert [c["name"] for c in backup["document_collections"]] == ["docs"]
    target = Store.open(f"{sqlite_url}.restored")
    try:
        assert target.restore(LOCAL, json.loads(json.dumps(backup)))["document_collections"] == 1
        info = target.collection(LOCAL, "docs")
        assert (info.description, info.chunk_size, info.embedding_model, info.embedded) == (
            "d", 500, "nomic-embed-text", 1)
        assert [(c.text, c.location, c.embedding) for c in target.collection_chunks(LOCAL, "docs")
                ] == [("one", "page 1", [0.25, 0.75]), ("two", "page 2", None)]
        target.restore(LOCAL, backup)  # again: the collection of that name is replaced
        assert len(target.collection_chunks(LOCAL, "docs")) == 2
        bad = json.loads(json.dumps(backup))
        bad["document_collections"][0]["documents"][0]["chunks"][0]["embedding"] = "x"
        with pytest.raises(StoreError, match=r"document_collections\[0\]\.documents\[0\]"
                                             r"\.chunks\[0\]\.embedding: expected a list"):
            target.restore(LOCAL, bad)
    finally:
        target.close()

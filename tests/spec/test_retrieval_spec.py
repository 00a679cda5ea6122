"""The retrieval proxy in the template format: validation with paths, documents written into
the template, and stored collections resolved by whoever runs the team."""

from __future__ import annotations

import pytest

from studio.engine import RetrieveUserProxyAgent
from studio.engine.retrieval import BM25Index, Chunk
from studio.spec import BuildError, TemplateSpec, use_collection, validate
from studio.spec.build import build_team


@pytest.fixture
def rag(doc):
    doc["agents"][0] = {"name": "user", "kind": "retrieve_user_proxy", "human_input": "never",
                        "retrieval": {"documents": [{"source": "a.md", "text": "# A\n\nalpha"}],
                                      "n_results": 2}}
    doc["agents"][1]["tools"] = []
    return doc


def paths(problems, severity="error"):
    return {p.path: p.message for p in problems if p.severity == severity}


def test_a_retrieval_proxy_needs_documents(rag, registry):
    assert paths(validate(rag, registry=registry)) == {}
    rag["agents"][0]["retrieval"] = {"n_results": 2}
    assert paths(validate(rag, registry=registry)) == {
        "agents[0].retrieval": "a retrieval proxy needs documents: choose a document collection "
                               "or add documents"}
    rag["agents"][0]["retrieval"] = {"documents": [{"source": "a.md", "text": "x"},
                                                   {"source": "a.md", "text": "y"}]}
    assert paths(validate(rag, registry=registry)) == {
        "agents[0].retrieval.documents[1].source": "duplicate document name 'a.md'"}
    rag["agents"][0]["retrieval"] = {"collection": "mine", "n_results": 0}
    assert paths(validate(rag, registry=registry)) == {
        "agents[0].retrieval.n_results": "should be greater than or equal to 1 (got 0)"}


def test_documents_on_another_kind_are_a_warning(rag, registry):
    rag["agents"][0]["kind"] = "user_proxy"
    assert "only a retrieval proxy uses documents" in paths(
        validate(rag, registry=registry), "warning")["agents[0].retrieval"]


def test_template_documents_are_indexed_offline(rag, tmp_path):
    team = build_team(TemplateSpec.model_validate(rag), work_dir=tmp_path)
    proxy = team.agents["user"]
    assert isinstance(proxy, RetrieveUserProxyAgent) and proxy.n_results == 2
    assert [c.id for c in proxy.retriever.chunks] == ["a.md#1"]
    assert proxy.retriever.chunks[0].location == "A"


def test_a_stored_collection_is_resolved_by_the_caller(rag, tmp_path):
    rag["agents"][0]["retrieval"] = {"collection": "club notes"}
    spec = TemplateSpec.model_validate(rag)
    with pytest.raises(BuildError, match=r"agents\[0\]\.retrieval\.collection: the document "
                                         r"collection 'club notes' is kept in the studio"):
        build_team(spec, work_dir=tmp_path)
    index = BM25Index([Chunk("the canoe may be borrowed", "club.txt")])
    asked: list[str] = []
    team = build_team(spec, work_dir=tmp_path,
                      resolve_collection=lambda name: asked.append(name) or index)
    assert asked == ["club notes"] and team.agents["user"].retriever is index

    def missing(name):
        raise LookupError(f"you have no document collection named {name!r}")

    with pytest.raises(BuildError, match=r"retrieval\.collection: you have no document "
                                         r"collection named 'club notes'"):
        build_team(spec, work_dir=tmp_path, resolve_collection=missing)


def test_a_run_can_point_every_retrieval_proxy_at_a_collection(rag):
    spec = TemplateSpec.model_validate(rag)
    moved = use_collection(spec, "club notes")
    assert moved.agents[0].retrieval.collection == "club notes"
    assert moved.agents[0].retrieval.documents == spec.agents[0].retrieval.documents  # kept
    assert moved.agents[1] == spec.agents[1] and spec.agents[0].retrieval.collection is None

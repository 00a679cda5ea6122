"""The paper's retrieval-augmented chat (A2): BM25 and embedding ranking, and interactive
retrieval - when the assistant answers UPDATE CONTEXT, the proxy sends the next passages."""

from __future__ import annotations

import math
import socket

import pytest

from studio.engine import (
    AssistantAgent,
    FunctionModel,
    HumanInput,
    Message,
    RetrieveUserProxyAgent,
    RunControl,
    ScriptedHuman,
    ScriptedModel,
    StopReason,
)
from studio.engine.retrieval import (
    BM25Index,
    Chunk,
    EmbeddingIndex,
    OpenAIEmbedder,
    RetrievalError,
    tokenize,
)
from tests.support.oai_server import OAIServer, error


def chunks(*texts: str, source: str = "notes.md") -> list[Chunk]:
    return [Chunk(text, source, i) for i, text in enumerate(texts)]


# -- BM25 on a corpus small enough to score by hand ------------------------------------------
CORPUS = chunks("apple banana apple", "banana cherry", "cherry date elderberry fig", "apple")


def lucene_bm25(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75):
    """Okapi BM25, Lucene's variant, written out: the scores the index must give."""
    n, avg = len(docs), sum(map(len, docs)) / len(docs)
    scores = []
    for doc in docs:
        total = 0.0
        for term in query:
            df = sum(term in d for d in docs)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = doc.count(term)
            total += idf * tf / (tf + k1 * (1 - b + b * len(doc) / avg))
        scores.append(total)
    return scores


def test_tokens_are_stemmed_and_stop_words_dropped():
    assert tokenize("The Cherries and the apples!") == ["cherri", "appl"]


@pytest.mark.parametrize("query", ["apple", "cherry banana", "fig apples", "what about dates?"])
def test_bm25_scores_are_the_formula(query):
    index = BM25Index(CORPUS)
    expected = lucene_bm25(tokenize(query), [tokenize(c.text) for c in CORPUS])
    assert index.scores(query) == pytest.approx(expected, rel=1e-5)


def test_bm25_ranks_best_first_and_leaves_out_the_unrelated():
    hits = BM25Index(CORPUS).rank("apple")
    # the short document wins: same idf, less length to dilute the single match
    assert [h.chunk.text for h in hits] == ["apple", "apple banana apple"]
    assert [h.rank for h in hits] == [1, 2] and hits[0].score > hits[1].score > 0
    assert BM25Index(CORPUS).rank("zebra") == [] and BM25Index(CORPUS).rank("the and") == []
    assert BM25Index([]).rank("apple") == []


# -- embeddings through a real OpenAI-compatible server on loopback ---------------------------
def test_embeddings_rank_by_similarity_and_errors_are_clear():
    docs = chunks("the choir sings on thursday evening", "boats and canoes on the lake",
                  "thursday is also market day")
    with OAIServer() as server:
        embedder = OpenAIEmbedder("test-embed", base_url=server.base_url, batch_size=2)
        progress: list[tuple[int, int]] = []
        index = EmbeddingIndex.build(docs, embedder, on_progress=lambda d, t: progress.append((d, t)))
        assert progress == [(2, 3), (3, 3)]  # in batches
        hits = index.rank("when does the choir sing")
        assert hits[0].chunk.text.startswith("the choir") and len(hits) == 3
        stored = EmbeddingIndex(docs, index.vectors, embedder)  # vectors kept with the collection
        assert [h.chunk.id for h in stored.rank("canoes on the lake")][0] == "notes.md#2"
        assert len(server.embedding_requests()) == 4  # 2 batches + 2 queries
        with pytest.raises(RetrievalError, match="has no embeddings model 'nope'"):
            OpenAIEmbedder("nope", base_url=server.base_url).embed(["x"])
        server.push(error(500, "boom"))
        with pytest.raises(RetrievalError, match=r"failed to embed \(500\)"):
            OpenAIEmbedder("test-embed", base_url=server.base_url, max_retries=0).embed(["x"])
    with OAIServer(api_key="right") as server:
        with pytest.raises(RetrievalError, match="refused the API key"):
            OpenAIEmbedder("test-embed", base_url=server.base_url, api_key="wrong").embed(["x"])
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
        with pytest.raises(RetrievalError, match="could not connect"):
            OpenAIEmbedder("test-embed", base_url=url, max_retries=0).embed(["x"])


# -- interactive retrieval -------------------------------------------------------------------
QUESTION = "When does the night bus to Lindholm leave?"
BUS = chunks(
    "The night bus to Lindholm is popular: the night bus to Lindholm is run by the city.",
    "Tickets for the Lindholm night bus cost three euros; buy night bus tickets on the bus.",
    "Buses leave from platform 7; the last one to Lindholm leaves at 23:40.",
    "The bakery on the square opens at seven.",
    source="transport.md")


def reader(request) -> str:
    """A model that answers only from what its latest message contains."""
    latest = request.messages[-1].text
    if "23:40" in latest:
        return "The night bus to Lindholm leaves at 23:40 [3]."
    return "UPDATE CONTEXT"


def test_the_answer_in_the_third_chunk_comes_after_one_update_context_round():
    index = BM25Index(BUS)
    assert "23:40" in index.rank(QUESTION)[2].chunk.text  # the answer is ranked third
    proxy = RetrieveUserProxyAgent("rag_proxy", retriever=index, n_results=2,
                                   human_input=HumanInput.NEVER)
    model = FunctionModel(reader)
    assistant = AssistantAgent("assistant", model=model)
    result = proxy.initiate_chat(assistant, QUESTION)
    said = [(m.name, m.text) for m in result.history]
    assert [name for name, _ in said] == ["rag_proxy", "assistant", "rag_proxy", "assistant"]
    first, again = result.history[0], result.history[2]
    assert [c["n"] for c in first.meta["chunks"]] == [1, 2]
    assert "23:40" not in first.text and said[1][1] == "UPDATE CONTEXT"
    assert again.meta["kind"] == "retrieved_context" and again.meta["round"] == 2
    assert [(c["n"], c["id"]) for c in again.meta["chunks"]] == [(3, "transport.md#3")]
    assert again.text.startswith(f"More passages for the same question: {QUESTION}")
    assert "[3] transport.md\nBuses leave from platform 7" in again.text  # numbered, with source
    assert said[3][1] == "The night bus to Lindholm leaves at 23:40 [3]."
    assert result.stop_reason == StopReason.TERMINATION  # an answer without code ends the chat
    assert result.summary == "The night bus to Lindholm leaves at 23:40 [3]."
    assert len(model.requests) == 2


def test_when_the_passages_run_out_the_assistant_is_told():
    proxy = RetrieveUserProxyAgent("rag_proxy", retriever=BM25Index(BUS), n_results=2,
                                   human_input=HumanInput.NEVER, max_consecutive_auto_reply=5)
    model = ScriptedModel(["UPDATE CONTEXT", "Sorry, UPDATE CONTEXT",
                           "The documents do not say."])
    result = proxy.initiate_chat(AssistantAgent("assistant", model=model), "Lindholm bus fares?")
    metas = [m.meta for m in result.history if m.meta.get("kind") == "retrieved_context"]
    assert [len(m["chunks"]) for m in metas] == [2, 1, 0]  # only three chunks match at all
    assert metas[-1]["exhausted"] is True
    assert result.history[-2].text.startswith("There are no more passages about this")
    assert result.summary == "The documents do not say."


def test_a_person_in_always_mode_decides_before_more_is_fetched():
    human = ScriptedHuman(["Ask the station, it is not written down.", ""], then="exit")
    proxy = RetrieveUserProxyAgent("rag_proxy", retriever=BM25Index(BUS), n_results=2,
                                   human_input=HumanInput.ALWAYS)
    model = ScriptedModel(["UPDATE CONTEXT", "Then I cannot say."])
    result = proxy.initiate_chat(AssistantAgent("assistant", model=model), QUESTION,
                                 control=RunControl(human=human))
    assert "asks for more context" in human.requests[0].prompt
    assert result.history[2].text == "Ask the station, it is not written down."
    assert result.history[2].meta.get("human") is True


def test_no_matching_passage_is_said_plainly():
    proxy = RetrieveUserProxyAgent("rag_proxy", retriever=BM25Index(BUS), n_results=2,
                                   human_input=HumanInput.NEVER)
    message = proxy.prepare_first_message(Message(role="user", content="zebras?"))
    assert "(No passage of the documents matches the question.)" in message.text
    assert message.meta["chunks"] == []

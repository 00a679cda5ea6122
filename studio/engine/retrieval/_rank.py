"""Ranking chunks for a query: BM25 (offline, bm25s) or embeddings from any
OpenAI-compatible ``/embeddings`` endpoint (OpenAI, Ollama, LM Studio, vLLM...)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

from ._chunks import (
    DEFAULT_CHUNK_CHARS,
    Chunk,
    Document,
    Section,
    markdown_sections,
    split_document,
)


class RetrievalError(RuntimeError):
    """Ranking failed (e.g. the embeddings server refused); the message says what to do."""


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    rank: int  # 1 for the best


class Retriever(Protocol):
    """Anything that ranks chunks for a query, best first (only the relevant ones)."""

    @property
    def chunks(self) -> Sequence[Chunk]: ...

    def rank(self, query: str) -> list[Hit]: ...


# -- BM25 -----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case word stems without English stop words (``Plots`` -> ``plot``)."""
    words = [w for w in re.findall(r"\w\w+", text.lower()) if w not in _stopwords()]
    return list(_stemmer().stemWords(words))


class BM25Index:
    """Okapi BM25 over the chunks (bm25s; a chunk's location words count as its text)."""

    def __init__(self, chunks: Sequence[Chunk], *, k1: float = 1.5, b: float = 0.75) -> None:
        import bm25s

        self.chunks = list(chunks)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._empty = not self.chunks
        if not self._empty:
            corpus = [tokenize(c.search_text) or ["\u2205"] for c in self.chunks]
            self._bm25.index(corpus, show_progress=False)

    @classmethod
    def from_texts(cls, texts: Mapping[str, str], *, chunk_size: int = DEFAULT_CHUNK_CHARS,
                   ) -> BM25Index:
        """An index over ``{source: text}``; Markdown sources are cut at their headings."""
        chunks: list[Chunk] = []
        for source, text in texts.items():
            markdown = source.lower().endswith((".md", ".markdown"))
            sections = markdown_sections(text) if markdown else [Section(text)]
            chunks += split_document(Document(source, tuple(sections)), chunk_size)
        return cls(chunks)

    def scores(self, query: str) -> list[float]:
        words = tokenize(query)
        if self._empty or not words:
            return [0.0] * len(self.chunks)
        return [float(s) for s in self._bm25.get_scores(words)]

    def rank(self, query: str) -> list[Hit]:
        scored = sorted(((s, i) for i, s in enumerate(self.scores(query)) if s > 0),
                        key=lambda item: (-item[0], item[1]))
        return [Hit(self.chunks[i], s, rank) for rank, (s, i) in enumerate(scored, 1)]


# -- embeddings ------------------------------------------------------------------------------
class Embedder(Protocol):
    model: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible server (``base_url`` None: OpenAI itself)."""

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str | None = None, timeout: float = 60.0,
                 batch_size: int = 64, max_retries: int = 2) -> None:
        if not model:
            raise ValueError("an embeddings model name is needed, e.g. text-embedding-3-small "
                             "or nomic-embed-text")
        self.model = model
        self.base_url = base_url
        key = api_key or (os.environ.get(api_key_env) if api_key_env else None)
        self._api_key = key or ("not-needed" if base_url else None)
        self.timeout = timeout
        self.batch_size = max(1, batch_size)
        self.max_retries = max_retries  # the SDK's retries with backoff on 429/5xx/timeouts
        self._client: Any = None

    def _connect(self) -> Any:
        if self._client is None:
            import openai

            if self._api_key is None:
                raise RetrievalError("embeddings from OpenAI need an API key; set one on the "
                                     "model configuration used for embeddings")
            self._client = openai.OpenAI(api_key=self._api_key, base_url=self.base_url,
                                         timeout=self.timeout,
                                         max_retries=self.max_retries)
        return self._client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        client = self._connect()
        vectors: list[list[float]] = []
        where = self.base_url or "OpenAI"
        for start in range(0, len(texts), self.batch_size):
            batch = [t or " " for t in texts[start:start + self.batch_size]]
            try:
                response = client.embeddings.create(model=self.model, input=batch)
            except openai.AuthenticationError:
                raise RetrievalError(f"{where} refused the API key for embeddings (401); "
                                     "check the key of the model configuration") from None
            except openai.NotFoundError:
                raise RetrievalError(f"{where} has no embeddings model {self.model!r} (404); "
                                     "check its name (with Ollama: ollama pull "
                                     f"{self.model})") from None
            except openai.APIConnectionError:
                raise RetrievalError(f"could not connect to {where} for embeddings; is the "
                                     "server running and the base URL right?") from None
            except openai.APIStatusError as exc:
                raise RetrievalError(f"{where} failed to embed ({exc.status_code}): "
                                     f"{_short(str(exc))}") from None
            items = sorted(response.data, key=lambda d: d.index)
            if len(items) != len(batch):
                raise RetrievalError(f"{where} returned {len(items)} embeddings for "
                                     f"{len(batch)} texts")
            vectors += [list(map(float, item.embedding)) for item in items]
        return vectors


class EmbeddingIndex:
    """Chunks ranked by cosine similarity of their embeddings to the query's."""

    def __init__(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]],
                 embedder: Embedder) -> None:
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        import numpy as np

        self.chunks = list(chunks)
        self.vectors = [list(map(float, v)) for v in vectors]
        matrix = np.asarray(self.vectors, dtype=np.float32).reshape(len(self.vectors), -1)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self._matrix = matrix / np.where(norms == 0, 1, norms)
        self.embedder = embedder

    @classmethod
    def build(cls, chunks: Sequence[Chunk], embedder: Embedder, *,
              on_progress: Callable[[int, int], None] | None = None) -> EmbeddingIndex:
        """Embed every chunk (in batches; ``on_progress(done, total)`` after each)."""
        vectors: list[list[float]] = []
        step = getattr(embedder, "batch_size", 64)
        texts = [c.search_text for c in chunks]
        for start in range(0, len(texts), step):
            vectors += embedder.embed(texts[start:start + step])
            if on_progress is not None:
                on_progress(len(vectors), len(texts))
        return cls(chunks, vectors, embedder)

    def rank(self, query: str) -> list[Hit]:
        if not self.chunks or not query.strip():
            return []
        import numpy as np

        query_vector = np.asarray(self.embedder.embed([query])[0], dtype=np.float32)
        if query_vector.shape[0] != self._matrix.shape[1]:
            raise RetrievalError(
                f"the query embedding has {query_vector.shape[0]} numbers but the collection's "
                f"have {self._matrix.shape[1]}: the embeddings model changed; rebuild the "
                "collection's embeddings")
        norm = float(np.linalg.norm(query_vector)) or 1.0
        scores = self._matrix @ (query_vector / norm)
        order = sorted(range(len(self.chunks)), key=lambda i: (-float(scores[i]), i))
        return [Hit(self.chunks[i], float(scores[i]), rank) for rank, i in enumerate(order, 1)]


def _short(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

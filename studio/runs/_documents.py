"""Document collections for the studio: uploaded files in, chunks stored, retrievers out.

Pages hand over the uploaded bytes and show the report; reading files, computing
embeddings through the person's own model configuration (its key under the same rules as
a run's), and building the retriever a run's retrieval proxy uses all happen here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.engine.retrieval import (
    BM25Index,
    Chunk,
    DocumentError,
    EmbeddingIndex,
    Hit,
    OpenAIEmbedder,
    RetrievalError,
    Retriever,
    read_document,
    split_document,
)
from studio.spec import BuildError, RegistryError

from ._keys import api_key_for

if TYPE_CHECKING:
    from studio.spec import Registry
    from studio.store import Actor, Store, StoredChunk

Progress = Callable[[int, int, str], None]  # (done, total, what is being done)


class DocumentsError(RuntimeError):
    """Documents cannot be handled as asked; the message says what to do."""


@dataclass
class AddReport:
    """What adding files did: each file added or replaced, or why it was not."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0


def add_files(store: Store, actor: Actor, collection: str, files: Iterable[tuple[str, bytes]],
              *, on_progress: Progress | None = None) -> AddReport:
    """Read each file, cut it into chunks and keep it in ``collection`` (a file of the same
    name is replaced). A file that cannot be read is reported, never fatal for the rest."""
    info = store.collection(actor, collection)
    report = AddReport()
    pending = list(files)
    for done, (name, data) in enumerate(pending):
        if on_progress is not None:
            on_progress(done, len(pending), f"Reading {name}")
        try:
            document = read_document(name, data)
        except DocumentError as exc:
            report.failed.append((name, str(exc)))
            continue
        chunks = split_document(document, info.chunk_size)
        replaced = store.put_document(
            actor, collection, source=document.source, kind=document.kind, size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            chunks=[(c.text, c.location) for c in chunks])
        (report.replaced if replaced else report.added).append(document.source)
        report.chunks += len(chunks)
    if on_progress is not None:
        on_progress(len(pending), len(pending), "Done")
    return report


def embedder_for(store: Store, actor: Actor, registry: Registry, config: str,
                 model: str) -> OpenAIEmbedder:
    """An embeddings client for the person's model configuration ``config`` (its base URL
    and key) and the embeddings model ``model`` served there."""
    try:
        preset = registry.model(config)
    except RegistryError as exc:
        raise DocumentsError(f"{exc}: choose a model configuration from the Models page") \
            from None
    if preset.api_type in ("demo", "local"):
        raise DocumentsError(f"{preset.label} has no embeddings; choose an OpenAI-compatible "
                             "configuration such as Ollama, LM Studio or OpenAI")
    if preset.api_type == "azure":
        raise DocumentsError("Azure OpenAI embeddings are not supported yet; choose an "
                             "OpenAI-compatible configuration")
    if not model.strip():
        raise DocumentsError("name the embeddings model, e.g. nomic-embed-text (Ollama) or "
                             "text-embedding-3-small (OpenAI)")
    try:
        key = api_key_for(store, actor, config, base_url=preset.base_url,
                          api_key_secret=preset.api_key_secret,
                          api_key_env=preset.api_key_env, needs_key=preset.needs_key)
    except BuildError as exc:
        raise DocumentsError(str(exc)) from None
    return OpenAIEmbedder(model.strip(), base_url=preset.base_url, api_key=key)


def compute_embeddings(store: Store, actor: Actor, registry: Registry, collection: str, *,
                       config: str, model: str, on_progress: Progress | None = None) -> int:
    """Embed every chunk that has no embedding yet with ``model`` at ``config``; each batch
    is saved as soon as it arrives, so a failure keeps what was done. Returns how many
    chunks were embedded now."""
    embedder = embedder_for(store, actor, registry, config, model)
    store.set_embedding_model(actor, collection, config=config, model=embedder.model)
    todo = [c for c in store.collection_chunks(actor, collection) if c.embedding is None]
    texts = {c.id: _chunk(c).search_text for c in todo}
    done = 0
    for start in range(0, len(todo), embedder.batch_size):
        batch = todo[start:start + embedder.batch_size]
        if on_progress is not None:
            on_progress(done, len(todo), f"Embedding chunks {done + 1}-{done + len(batch)}")
        try:
            vectors = embedder.embed([texts[c.id] for c in batch])
        except RetrievalError as exc:
            raise DocumentsError(f"{exc} ({done} of {len(todo)} chunks were embedded and "
                                 "kept; try again to do the rest)") from None
        done += store.save_embeddings(actor, collection,
                                      {c.id: v for c, v in zip(batch, vectors, strict=True)})
    if on_progress is not None:
        on_progress(done, len(todo), "Done")
    return done


def collection_retriever(store: Store, actor: Actor, registry: Registry, name: str
                         ) -> Retriever:
    """The retriever over the person's collection ``name``: embeddings when every chunk
    has one, else BM25 (offline)."""
    from studio.store import NotFound

    try:
        info = store.collection(actor, name)
    except NotFound:
        raise LookupError(f"you have no document collection named {name!r}; make it on the "
                          "Documents page or choose another one") from None
    stored = store.collection_chunks(actor, name)
    if not stored:
        raise ValueError(f"the document collection {name!r} is empty: add files to it on "
                         "the Documents page")
    chunks = [_chunk(c) for c in stored]
    if info.method == "embeddings" and info.embedding_config and info.embedding_model:
        embedder = embedder_for(store, actor, registry, info.embedding_config,
                                info.embedding_model)
        return EmbeddingIndex(chunks, [c.embedding or [] for c in stored], embedder)
    return BM25Index(chunks)


def _chunk(stored: StoredChunk) -> Chunk:
    return Chunk(text=stored.text, source=stored.source, index=stored.position,
                 location=stored.location)


def collection_resolver(store: Store, actor: Actor, registry: Registry
                        ) -> Callable[[str], Retriever]:
    """What ``build_team(resolve_collection=...)`` takes, for this person."""

    def resolve(name: str) -> Retriever:
        try:
            return collection_retriever(store, actor, registry, name)
        except DocumentsError as exc:
            raise ValueError(str(exc)) from None

    return resolve


def search(store: Store, actor: Actor, registry: Registry, collection: str, query: str,
           k: int = 5) -> list[Hit]:
    """The ``k`` best passages of the collection for ``query`` (what a proxy would send)."""
    try:
        retriever = collection_retriever(store, actor, registry, collection)
        return retriever.rank(query)[:k]
    except RetrievalError as exc:
        raise DocumentsError(str(exc)) from None
    except (LookupError, ValueError) as exc:
        raise DocumentsError(str(exc)) from None

"""Documents for retrieval-augmented chat: files to text, text to chunks, chunks ranked.

Used by :class:`studio.engine.RetrieveUserProxyAgent`. The readers (pypdf, python-docx,
Beautiful Soup) and the rankers (bm25s; any OpenAI-compatible embeddings endpoint) are
imported only when used.
"""

from ._chunks import (
    DEFAULT_CHUNK_CHARS,
    Chunk,
    Document,
    Section,
    markdown_sections,
    split_document,
)
from ._convert import SUPPORTED, DocumentError, read_document
from ._rank import (
    BM25Index,
    Embedder,
    EmbeddingIndex,
    Hit,
    OpenAIEmbedder,
    RetrievalError,
    Retriever,
    tokenize,
)

__all__ = [
    "BM25Index",
    "Chunk",
    "DEFAULT_CHUNK_CHARS",
    "Document",
    "DocumentError",
    "Embedder",
    "EmbeddingIndex",
    "Hit",
    "markdown_sections",
    "OpenAIEmbedder",
    "read_document",
    "RetrievalError",
    "Retriever",
    "Section",
    "split_document",
    "SUPPORTED",
    "tokenize",
]

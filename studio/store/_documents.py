"""Document collections for retrieval-augmented chat: files cut into chunks, kept per person.

A collection is private to the person who made it: a retrieval proxy reads the collection
of that name belonging to whoever runs the team. Each document keeps its chunks (text,
where in the file, and an embedding once one was computed). Replacing a file replaces its
chunks; the collection's embeddings then cover fewer chunks until they are computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from ._actor import Actor, own
from ._base import StoreBase
from ._errors import AlreadyExists, NotFound, StoreError
from ._tables import DocumentChunkRow, DocumentCollectionRow, DocumentRow, now

MAX_NAME = 80


@dataclass(frozen=True)
class DocumentInfo:
    source: str
    kind: str
    size: int
    chars: int
    chunks: int
    sha256: str
    added_at: float


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    description: str
    chunk_size: int
    documents: int
    chunks: int
    embedded: int  # chunks that have an embedding from the current embeddings model
    embedding_config: str | None
    embedding_model: str | None
    created_at: float
    updated_at: float

    @property
    def method(self) -> str:
        """``embeddings`` when every chunk has one, else ``bm25``."""
        return "embeddings" if self.embedding_model and self.chunks and \
            self.embedded == self.chunks else "bm25"


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as kept: ``id`` is its row, for saving its embedding."""

    id: int
    source: str
    position: int
    text: str
    location: str
    embedding: list[float] | None


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise StoreError("a document collection needs a name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise StoreError(f"a collection name has at most {MAX_NAME} characters")
    return name


class DocumentsMixin(StoreBase):
    """Document collections (see the module doc). Every call takes the acting person."""

    def _collection_row(self, session: Session, actor: Actor, name: str) -> DocumentCollectionRow:
        row = session.exec(select(DocumentCollectionRow).where(
            DocumentCollectionRow.name == " ".join(name.split()),
            own(DocumentCollectionRow.owner_id, actor))).first()
        if row is None:
            raise NotFound("document collection", name)
        return row

    def _info(self, session: Session, row: DocumentCollectionRow) -> CollectionInfo:
        documents = session.exec(select(func.count()).select_from(DocumentRow).where(
            DocumentRow.collection_id == row.id)).one()
        chunks = session.exec(select(func.count()).select_from(DocumentChunkRow).where(
            DocumentChunkRow.collection_id == row.id)).one()
        embedded = session.exec(select(func.count()).select_from(DocumentChunkRow).where(
            DocumentChunkRow.collection_id == row.id,
            col(DocumentChunkRow.embedding).is_not(None))).one()
        return CollectionInfo(name=row.name, description=row.description,
                              chunk_size=row.chunk_size, documents=int(documents),
                              chunks=int(chunks), embedded=int(embedded),
                              embedding_config=row.embedding_config,
                              embedding_model=row.embedding_model,
                              created_at=row.created_at, updated_at=row.updated_at)

    # -- collections --------------------------------------------------------------------------
    def collections(self, actor: Actor) -> list[CollectionInfo]:
        """The actor's collections, by name."""
        with self._read() as session:
            rows = session.exec(select(DocumentCollectionRow).where(
                own(DocumentCollectionRow.owner_id, actor))
                .order_by(func.lower(DocumentCollectionRow.name))).all()
            return [self._info(session, row) for row in rows]

    def collection(self, actor: Actor, name: str) -> CollectionInfo:
        with self._read() as session:
            return self._info(session, self._collection_row(session, actor, name))

    def create_collection(self, actor: Actor, name: str, *, description: str = "",
                          chunk_size: int = 1000) -> CollectionInfo:
        name = _check_name(name)
        if not 200 <= chunk_size <= 8000:
            raise StoreError("chunks must have between 200 and 8000 characters")
        with self._write() as session:
            taken = session.exec(select(DocumentCollectionRow.id).where(
                DocumentCollectionRow.name == name,
                own(DocumentCollectionRow.owner_id, actor))).first()
            if taken is not None:
                raise AlreadyExists("document collection", name)
            row = DocumentCollectionRow(owner_id=actor.id, name=name, description=description,
                                        chunk_size=chunk_size)
            session.add(row)
            session.flush()
            return self._info(session, row)

    def delete_collection(self, actor: Actor, name: str) -> None:
        with self._write() as session:
            row = self._collection_row(session, actor, name)
            documents = select(DocumentRow.id).where(DocumentRow.collection_id == row.id)
            session.exec(delete(DocumentChunkRow).where(
                col(DocumentChunkRow.document_id).in_(documents)))
            session.exec(delete(DocumentRow).where(
                col(DocumentRow.collection_id) == row.id))
            session.delete(row)

    # -- documents ----------------------------------------------------------------------------
    def documents(self, actor: Actor, collection: str) -> list[DocumentInfo]:
        with self._read() as session:
            row = self._collection_row(session, actor, collection)
            counts: dict[int | None, int] = dict(session.exec(
                select(DocumentChunkRow.document_id, func.count())
                .where(DocumentChunkRow.collection_id == row.id)
                .group_by(col(DocumentChunkRow.document_id))).all())
            docs = session.exec(select(DocumentRow).where(DocumentRow.collection_id == row.id)
                                .order_by(func.lower(DocumentRow.source))).all()
            return [DocumentInfo(source=d.source, kind=d.kind, size=d.size, chars=d.chars,
                                 chunks=int(counts.get(d.id, 0)), sha256=d.sha256,
                                 added_at=d.added_at) for d in docs]

    def put_document(self, actor: Actor, collection: str, *, source: str, kind: str,
                     size: int, sha256: str, chunks: Sequence[tuple[str, str]]) -> bool:
        """Add the document ``source`` with its ``(text, location)`` chunks, replacing one of
        the same name. Returns True when it replaced one."""
        if not source.strip():
            raise StoreError("a document needs a file name")
        if not chunks:
            raise StoreError(f"{source}: the document has no text to keep")
        with self._write() as session:
            row = self._collection_row(session, actor, collection)
            collection_id = row.id
            assert collection_id is not None  # a stored row
            old = session.exec(select(DocumentRow).where(DocumentRow.collection_id == row.id,
                                                         DocumentRow.source == source)).first()
            if old is not None:
                session.exec(delete(DocumentChunkRow).where(
                    col(DocumentChunkRow.document_id) == old.id))
                session.delete(old)
                session.flush()
            doc = DocumentRow(collection_id=collection_id, source=source, kind=kind, size=size,
                              sha256=sha256, chars=sum(len(text) for text, _ in chunks))
            session.add(doc)
            session.flush()
            document_id = doc.id
            assert document_id is not None  # given by the flush
            session.add_all(DocumentChunkRow(document_id=document_id, collection_id=collection_id,
                                             position=i, text=text, location=location)
                            for i, (text, location) in enumerate(chunks))
            row.updated_at = now()
            session.add(row)
            return old is not None

    def remove_document(self, actor: Actor, collection: str, source: str) -> None:
        with self._write() as session:
            row = self._collection_row(session, actor, collection)
            doc = session.exec(select(DocumentRow).where(DocumentRow.collection_id == row.id,
                                                         DocumentRow.source == source)).first()
            if doc is None:
                raise NotFound("document", source)
            session.exec(delete(DocumentChunkRow).where(
                col(DocumentChunkRow.document_id) == doc.id))
            session.delete(doc)
            row.updated_at = now()
            session.add(row)

    def collection_chunks(self, actor: Actor, collection: str) -> list[StoredChunk]:
        """Every chunk of the collection, document by document, in reading order."""
        with self._read() as session:
            row = self._collection_row(session, actor, collection)
            found = session.exec(
                select(DocumentChunkRow, DocumentRow.source)
                .join(DocumentRow, col(DocumentRow.id) == col(DocumentChunkRow.document_id))
                .where(DocumentChunkRow.collection_id == row.id)
                .order_by(func.lower(DocumentRow.source), col(DocumentChunkRow.position))).all()
            return [StoredChunk(id=int(c.id or 0), source=source, position=c.position,
                                text=c.text, location=c.location,
                                embedding=list(c.embedding) if c.embedding else None)
                    for c, source in found]

    # -- embeddings ---------------------------------------------------------------------------
    def set_embedding_model(self, actor: Actor, collection: str, *, config: str | None,
                            model: str | None) -> None:
        """Choose the endpoint and model for embeddings (None: BM25 only). A different
        choice forgets the embeddings computed with the old one."""
        with self._write() as session:
            row = self._collection_row(session, actor, collection)
            if (row.embedding_config, row.embedding_model) != (config, model):
                self._forget_embeddings(session, row)
            row.embedding_config, row.embedding_model = config, model
            row.updated_at = now()
            session.add(row)

    def save_embeddings(self, actor: Actor, collection: str,
                        vectors: dict[int, list[float]]) -> int:
        """Store embeddings by chunk id; chunks gone meanwhile are skipped. Returns how many
        were stored."""
        with self._write() as session:
            row = self._collection_row(session, actor, collection)
            rows = session.exec(select(DocumentChunkRow).where(
                DocumentChunkRow.collection_id == row.id,
                col(DocumentChunkRow.id).in_(list(vectors)))).all()
            for chunk in rows:
                chunk.embedding = [float(x) for x in vectors[int(chunk.id or 0)]]
                session.add(chunk)
            return len(rows)

    @staticmethod
    def _forget_embeddings(session: Session, row: DocumentCollectionRow) -> None:
        chunks = session.exec(select(DocumentChunkRow).where(
            DocumentChunkRow.collection_id == row.id,
            col(DocumentChunkRow.embedding).is_not(None))).all()
        for chunk in chunks:
            chunk.embedding = None
            session.add(chunk)


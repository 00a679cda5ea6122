"""The passages a retrieval proxy searches: a studio collection (resolved by the caller,
which knows who is acting) or the documents written into the template (BM25, offline)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._models import AgentKind, RetrievalSpec, TemplateSpec
from ._resolve import BuildError

if TYPE_CHECKING:
    from studio.engine.retrieval import Retriever

CollectionResolver = Callable[[str], "Retriever"]


def template_retriever(retrieval: RetrievalSpec) -> Retriever:
    """A BM25 index over the template's own documents (Markdown cut at its headings)."""
    from studio.engine.retrieval import BM25Index

    return BM25Index.from_texts({d.source: d.text for d in retrieval.documents},
                                chunk_size=retrieval.chunk_size)


def retrieval_options(retrieval: RetrievalSpec | None, path: str, agent: str,
                      resolve: CollectionResolver | None) -> dict[str, Any]:
    """The keyword arguments of a RetrieveUserProxyAgent for ``retrieval``."""
    if retrieval is None or (not retrieval.collection and not retrieval.documents):
        raise BuildError("a retrieval proxy needs documents: choose a document collection or "
                         "add documents", path=f"{path}.retrieval", agent=agent)
    if retrieval.collection:
        if resolve is None:
            raise BuildError(f"the document collection {retrieval.collection!r} is kept in the "
                             "studio: run this team from the studio or with `roundtable run`",
                             path=f"{path}.retrieval.collection", agent=agent)
        try:
            retriever = resolve(retrieval.collection)
        except BuildError:
            raise
        except (LookupError, ValueError, RuntimeError) as exc:
            raise BuildError(str(exc), path=f"{path}.retrieval.collection", agent=agent) from exc
    else:
        retriever = template_retriever(retrieval)
    return {"retriever": retriever, "n_results": retrieval.n_results, "task": retrieval.task,
            "update_context": retrieval.update_context}


def use_collection(spec: TemplateSpec, collection: str) -> TemplateSpec:
    """A copy of ``spec`` whose retrieval proxies read the stored collection ``collection``
    (their own documents stay in the template, for switching back)."""
    agents = []
    for agent in spec.agents:
        if agent.kind == AgentKind.RETRIEVE_USER_PROXY:
            retrieval = agent.retrieval or RetrievalSpec()
            agent = agent.model_copy(update={
                "retrieval": retrieval.model_copy(update={"collection": collection})})
        agents.append(agent)
    return spec.model_copy(update={"agents": agents})

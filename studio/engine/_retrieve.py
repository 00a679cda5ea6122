"""The paper's retrieval-augmented user proxy (A2), with interactive retrieval.

The proxy turns the question into a first message holding the best-ranked chunks of a
document collection. When the assistant answers ``UPDATE CONTEXT`` (it cannot answer from
what it got), the proxy retrieves the next chunks of the ranking by itself and asks again,
as in the paper. Which chunks went out is written in each message's ``meta`` (source,
location, score), so the agent keeps no hidden state: a conversation rebuilt from stored
messages carries on where it was.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from ._agent import UserProxyAgent
from ._human import HumanInputRequest
from ._messages import Message
from ._types import HumanInput, StopReason, Termination
from .code import extract_code_blocks

if TYPE_CHECKING:
    from ._agent import ConversableAgent, ReplyValue
    from ._context import ChatContext
    from .retrieval import Hit, Retriever

UPDATE_CONTEXT = "UPDATE CONTEXT"
RetrieveTask = Literal["qa", "code"]

PROMPTS: dict[str, str] = {
    "qa": (
        "Answer the question from the numbered passages below, which come from the person's "
        "documents. Use only what the passages say. If they do not hold the answer, reply "
        f"with just {UPDATE_CONTEXT} and you will be sent more passages. Cite the passages "
        "you use by number, like [2], and keep the answer short.\n\n"
        "Question: {question}\n\nPassages:\n\n{context}"
    ),
    "code": (
        "Write Python for the task below using the numbered documentation passages, which "
        "come from the person's documents: use the functions and options they describe. If "
        f"they are not enough to write correct code, reply with just {UPDATE_CONTEXT} and you "
        "will be sent more passages. Put the code in one ```python block; it will be run and "
        "you will see the output. Cite the passages you use by number, like [2].\n\n"
        "Task: {question}\n\nDocumentation:\n\n{context}"
    ),
}
MORE = "More passages for the same question: {question}\n\n{context}"
NO_MORE = ("There are no more passages about this in the documents. Answer from the "
           "passages you have, or say that the documents do not say.")
NOTHING_FOUND = "(No passage of the documents matches the question.)"


def asks_for_more(text: str) -> bool:
    """Whether a reply says UPDATE CONTEXT (at its start or end, any case)."""
    flat = re.sub(r"[^A-Z ]+", " ", text.upper())
    flat = " ".join(flat.split())
    return flat.startswith(UPDATE_CONTEXT) or flat.endswith(UPDATE_CONTEXT)


class RetrieveUserProxyAgent(UserProxyAgent):
    """A user proxy that answers with passages of a document collection.

    ``retriever`` ranks chunks (:class:`~studio.engine.retrieval.BM25Index`, or an
    :class:`~studio.engine.retrieval.EmbeddingIndex`); ``n_results`` chunks go out per
    message. ``task`` picks the prompt: ``qa`` (answer questions) or ``code`` (write code
    grounded in documentation; give the agent a code executor to run it). By default a
    reply that neither asks for more context nor holds code to run ends the chat.
    """

    def __init__(self, name: str = "rag_proxy", *, retriever: Retriever, n_results: int = 3,
                 task: RetrieveTask = "qa", update_context: bool = True,
                 prompt: str | None = None, **kwargs: Any) -> None:
        if n_results < 1:
            raise ValueError(f"agent {name!r}: n_results must be at least 1")
        if task not in PROMPTS and prompt is None:
            raise ValueError(f"agent {name!r}: task must be qa or code, not {task!r}")
        kwargs.setdefault("is_termination", self._answer_ends_chat)
        kwargs.setdefault("description", "Retrieves passages of your documents for the "
                                         "assistant and asks for more when it needs them.")
        super().__init__(name, **kwargs)
        self.retriever = retriever
        self.n_results = n_results
        self.task = task
        self.update_context = update_context
        self.prompt = prompt or PROMPTS[task]
        self._ends = Termination()
        self.register_reply(_update_context_reply)

    # -- the first message -----------------------------------------------------------------
    def prepare_first_message(self, message: Message) -> Message:
        """The question becomes the prompt with the best passages for it."""
        question = message.text.strip()
        hits = self.retriever.rank(question)[: self.n_results] if question else []
        content = self.prompt.format(question=question, context=_passages(hits, 1))
        return Message(role=message.role, content=content, name=message.name or self.name,
                       meta={**message.meta, **_meta(question, hits, 1, 1)})

    # -- termination -----------------------------------------------------------------------
    def _answer_ends_chat(self, message: Message) -> bool:
        if self._ends(message):
            return True
        if message.role == "tool" or message.tool_calls or asks_for_more(message.text):
            return False
        if self.code_executor is not None and extract_code_blocks(message.text):
            return False  # code to run first
        return bool(message.text.strip())

    # -- interactive retrieval ---------------------------------------------------------------
    def more_context(self, messages: list[Message], extra_query: str = "") -> Message:
        """The next passages for the question of this conversation (found in ``messages``)."""
        sent: set[str] = set()
        question, numbered, rounds = "", 0, 0
        for m in messages:
            if m.meta.get("kind") == "retrieved_context":
                question = question or str(m.meta.get("query", ""))
                sent |= {str(c["id"]) for c in m.meta.get("chunks", ())}
                numbered = max(numbered, *(int(c["n"]) for c in m.meta.get("chunks", ())), 0)
                rounds += 1
        fresh = [h for h in self.retriever.rank(question) if h.chunk.id not in sent]
        if not fresh and extra_query.strip():  # the assistant's own words may find more
            fresh = [h for h in self.retriever.rank(extra_query) if h.chunk.id not in sent]
        hits = fresh[: self.n_results]
        if not hits:
            return Message(role="user", content=NO_MORE, name=self.name,
                           meta={"kind": "retrieved_context", "query": question, "chunks": [],
                                 "round": rounds + 1, "exhausted": True})
        content = MORE.format(question=question, context=_passages(hits, numbered + 1))
        return Message(role="user", content=content, name=self.name,
                       meta=_meta(question, hits, numbered + 1, rounds + 1))


def _update_context_reply(agent: ConversableAgent, messages: list[Message],
                          sender: ConversableAgent, ctx: ChatContext) -> tuple[bool, ReplyValue]:
    """On UPDATE CONTEXT, send the next passages (asking the person first in always-mode)."""
    from ._agent import Stop

    assert isinstance(agent, RetrieveUserProxyAgent)
    if not agent.update_context or not messages or messages[-1].role == "tool":
        return False, None
    last = messages[-1]
    if last.name == agent.name or not asks_for_more(last.text):
        return False, None
    if agent.auto_reply_count(sender) >= agent.max_consecutive_auto_reply:
        return False, None  # the usual limit: the built-in replies stop or ask the person
    if agent.human_input == HumanInput.ALWAYS:
        answer = ctx.ask_human(HumanInputRequest(
            agent=agent.name, kind="reply",
            prompt=(f"{sender.name} cannot answer from the passages it has and asks for more "
                    "context. Leave empty to send the next passages, type a reply of your "
                    "own, or type exit to stop.")))
        if answer.strip().lower() == "exit":
            return True, Stop(StopReason.HUMAN_EXIT)
        if answer.strip():
            agent._reset_auto_reply(sender)
            return True, Message(role="user", content=answer, name=agent.name,
                                 meta={"human": True})
    agent._bump_auto_reply(sender)
    extra = re.sub(UPDATE_CONTEXT, " ", last.text, flags=re.IGNORECASE)
    return True, agent.more_context(messages, extra_query=extra)


def _passages(hits: list[Hit], first: int) -> str:
    if not hits:
        return NOTHING_FOUND
    return "\n\n".join(f"[{n}] {hit.chunk.label}\n{hit.chunk.text}"
                       for n, hit in enumerate(hits, first))


def _meta(question: str, hits: list[Hit], first: int, round_no: int) -> dict[str, Any]:
    return {"kind": "retrieved_context", "query": question, "round": round_no,
            "chunks": [{"n": n, "id": h.chunk.id, "source": h.chunk.source,
                        "location": h.chunk.location, "score": round(h.score, 4),
                        "rank": h.rank}
                       for n, h in enumerate(hits, first)]}

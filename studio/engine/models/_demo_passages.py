"""The Demo model answering a retrieval prompt (``_retrieve``): the question is the
person's, the passages are what it may quote. It reads neither the instructions around
them as the person's request nor a change to its last answer ("Make it shorter.") as a
question to look up."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._messages import Message
from ._demo_plans import CHANGE_IT, changed_answer
from ._demo_scene import in_few_words, said_last, sentences
from ._demo_words import is_common

# "Question: ...\n\nPassages:\n\n..." (the first round) or "More passages for the same
# question: ...\n\n..." (the next ones); the passages are "[n] source, heading" and a body
_QUESTION = re.compile(r"^(?:Question|More passages for the same question): (.+)$", re.M)
_PASSAGE = re.compile(r"^\[(\d+)\] [^\n]*\n(.*?)(?=^\[\d+\] |\Z)", re.M | re.S)


def is_retrieval_prompt(message: Message | None) -> bool:
    """Whether ``message`` is a retrieval proxy's question with passages."""
    return message is not None and (message.meta or {}).get("kind") == "retrieved_context" \
        and _QUESTION.search(message.text) is not None


def passages_reply(agent: str, prompt: Message, said: Sequence[Message]) -> str:
    """The answer of ``agent`` to a retrieval ``prompt``: a change to its last answer made
    to it, else the question answered by quoting the passages (with their numbers), else
    an honest "the documents do not say"."""
    found = _QUESTION.search(prompt.text)
    question = str((prompt.meta or {}).get("query") or (found.group(1) if found else ""))
    words = in_few_words(question)
    # this agent's latest answer before the prompt (not a request for more passages)
    earlier = said_last([m for m in said if m is not prompt], agent, keep=lambda text: bool(
        text) and "UPDATE CONTEXT" not in text.upper())
    if earlier and CHANGE_IT.match(words):
        return changed_answer(words, earlier)
    quotes = [(number, first[0]) for number, body in _PASSAGE.findall(prompt.text)
              if (first := sentences(_body(body)))]
    if not quotes:
        return (f"The documents say nothing about \"{words}\", so I cannot answer it from "
                "them.")
    # the best-ranked passage, and the next one only if it shares a word with the question
    keys = _keys(question)
    quotes = quotes[:1] + [q for q in quotes[1:2] if keys & _keys(q[1])]
    lines = "\n".join(f"- {sentence} [{number}]" for number, sentence in quotes)
    return (f"On \"{words}\", the passages say (quoted: the Demo model does not reword "
            f"them):\n{lines}")


def _keys(text: str) -> set[str]:
    """The words of ``text`` that carry its meaning, by their first five letters."""
    return {w[:5] for w in re.findall(r"[a-z]{3,}", text.lower()) if not is_common(w)}


def _body(text: str) -> str:
    """A passage's text without its Markdown headings."""
    return " ".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))

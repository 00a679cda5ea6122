"""Documents as sections, and sections cut into chunks small enough to retrieve."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_CHUNK_CHARS = 1000
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Section:
    """A part of a document that says where it is: a page of a PDF, a heading's text."""

    text: str
    location: str = ""  # "page 3", "Fees", "Watering › Summer"


@dataclass(frozen=True)
class Document:
    """A document turned into text: its name and its sections in reading order."""

    source: str
    sections: tuple[Section, ...]
    kind: str = "text"  # pdf | docx | html | markdown | text

    @property
    def text(self) -> str:
        return "\n\n".join(s.text for s in self.sections)


@dataclass(frozen=True)
class Chunk:
    """A piece of a document small enough to hand to a model, with where it came from."""

    text: str
    source: str
    index: int = 0  # its position among the chunks of its document
    location: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}#{self.index + 1}"

    @property
    def search_text(self) -> str:
        """What rankers read: the text, plus its section title when the chunk does not start
        with it (a later piece of a long section still matches its title)."""
        title = self.location.rsplit(" › ", 1)[-1]
        return self.text if not title or title in self.text[:200] else f"{title}\n{self.text}"

    @property
    def label(self) -> str:
        """Where it came from, for people: ``handbook.pdf, page 3``."""
        return f"{self.source}, {self.location}" if self.location else self.source

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "source": self.source, "index": self.index,
                "location": self.location}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Chunk:
        return cls(text=str(data["text"]), source=str(data["source"]),
                   index=int(data.get("index", 0)),  # type: ignore[call-overload]
                   location=str(data.get("location") or ""))


def markdown_sections(text: str) -> list[Section]:
    """Cut Markdown at its headings; each section knows its heading path."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    lines: list[str] = []

    def flush() -> None:
        body = "\n".join(lines).strip()
        # a heading followed at once by a sub-heading has no text of its own: its title lives
        # on in the sub-sections' locations
        if body and not all(_HEADING.match(line) for line in body.splitlines() if line.strip()):
            sections.append(Section(body, " › ".join(title for _, title in path)))
        lines.clear()

    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        heading = None if fenced else _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            path = [(lvl, title) for lvl, title in path if lvl < level]
            path.append((level, heading.group(2).strip()))
            lines.append(line)
        else:
            lines.append(line)
    flush()
    return sections


def split_document(document: Document, max_chars: int = DEFAULT_CHUNK_CHARS) -> list[Chunk]:
    """Chunks of at most ``max_chars`` characters: paragraphs packed together, a long one cut
    at sentence ends (and a very long sentence at spaces), never across sections."""
    if max_chars < 100:
        raise ValueError("chunks need at least 100 characters")
    chunks: list[Chunk] = []
    for section in document.sections:
        for piece in _pack(_paragraphs(section.text), max_chars):
            chunks.append(Chunk(text=piece, source=document.source, index=len(chunks),
                                location=section.location))
    return chunks


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def _pack(paragraphs: Iterable[str], limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for paragraph in paragraphs:
        for part in _fit(paragraph, limit):
            if current and len(current) + 2 + len(part) > limit:
                out.append(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        out.append(current)
    return out


def _fit(paragraph: str, limit: int) -> list[str]:
    """The paragraph in pieces of at most ``limit`` characters."""
    if len(paragraph) <= limit:
        return [paragraph]
    pieces: list[str] = []
    current = ""
    for sentence in re.split(r"(?<=[.!?])\s+", paragraph):
        words = [sentence] if len(sentence) <= limit else _words(sentence, limit)
        for part in words:
            if current and len(current) + 1 + len(part) > limit:
                pieces.append(current)
                current = ""
            current = f"{current} {part}" if current else part
    if current:
        pieces.append(current)
    return pieces


def _words(sentence: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in sentence.split():
        while len(word) > limit:  # a single "word" longer than a chunk (a URL, a hash...)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(word[:limit])
            word = word[limit:]
        if current and len(current) + 1 + len(word) > limit:
            pieces.append(current)
            current = ""
        current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return pieces

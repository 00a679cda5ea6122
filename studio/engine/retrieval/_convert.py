"""Files to text: PDF (pypdf), Word .docx (python-docx), HTML (Beautiful Soup), Markdown and
plain text. Each becomes a :class:`Document` whose sections say where they are (a page, a
heading), so a retrieved chunk can name its source precisely."""

from __future__ import annotations

import io
import re
from pathlib import PurePath

from ._chunks import Document, Section, markdown_sections

KINDS = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".md": "markdown",
         ".markdown": "markdown", ".txt": "text", ".text": "text"}
SUPPORTED = tuple(KINDS)  # the file endings people may upload
_ADVICE = {".doc": "save it as .docx (Word 2007 or later) and upload that",
           ".rtf": "save it as .docx or .txt and upload that",
           ".odt": "save it as .docx and upload that",
           ".pptx": "export the slides as PDF and upload that"}
MAX_BYTES = 50 * 1024 * 1024


class DocumentError(ValueError):
    """A file cannot be turned into text; the message says which file and what to do."""


def read_document(name: str, data: bytes) -> Document:
    """The text of the file ``name`` (its ending decides how it is read)."""
    suffix = PurePath(name).suffix.lower()
    source = PurePath(name).name or name
    kind = KINDS.get(suffix)
    if kind is None:
        advice = _ADVICE.get(suffix, "supported are " + ", ".join(SUPPORTED))
        raise DocumentError(f"{source}: {suffix or 'files without an ending'} cannot be read; "
                            f"{advice}")
    if len(data) > MAX_BYTES:
        raise DocumentError(f"{source}: the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        sections = {"pdf": _pdf, "docx": _docx, "html": _html, "markdown": _markdown,
                    "text": _text}[kind](data)
    except DocumentError as exc:
        raise DocumentError(f"{source}: {exc}") from None
    except Exception as exc:  # a damaged file: the reader's own words say what is wrong
        raise DocumentError(f"{source}: the file could not be read as {kind.upper()} "
                            f"({type(exc).__name__}: {exc})") from exc
    sections = [s for s in sections if s.text.strip()]
    if not sections:
        raise DocumentError(f"{source}: no text found"
                            + (" (a scanned PDF holds pictures of text, which cannot be read)"
                               if kind == "pdf" else ""))
    return Document(source=source, sections=tuple(sections), kind=kind)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _text(data: bytes) -> list[Section]:
    return [Section(_tidy(_decode(data)))]


def _markdown(data: bytes) -> list[Section]:
    return markdown_sections(_decode(data))


def _pdf(data: bytes) -> list[Section]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentError("the PDF is protected by a password; save an unprotected copy")
    return [Section(_tidy(page.extract_text() or ""), f"page {number}")
            for number, page in enumerate(reader.pages, 1)]


def _docx(data: bytes) -> list[Section]:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = [c.text.strip() for c in row.cells]
                lines.append(" | ".join(dict.fromkeys(c for c in cells if c)))
            lines.append("")
            continue
        text = block.text.strip()
        style = (block.style.name if block.style is not None else "") or ""
        level = re.match(r"Heading (\d)", style)
        if level and text:
            lines += ["", "#" * int(level.group(1)) + " " + text, ""]
        elif style == "Title" and text:
            lines += ["# " + text, ""]
        else:
            lines += [text, ""]
    return markdown_sections("\n".join(lines))


_BLOCKS = ("p", "div", "li", "ul", "ol", "pre", "blockquote", "table", "tr", "section",
           "article", "dt", "dd", "figcaption", "br", "hr")


def _html(data: bytes) -> list[Section]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "svg", "head"]):
        tag.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            tag.insert_before("\n\n" + "#" * level + " ")
            tag.insert_after("\n\n")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n" if tag.name != "br" else "\n")
        tag.insert_after("\n\n" if tag.name not in ("br", "li", "tr") else "\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" | ")
    text = "\n".join(" ".join(line.split()) for line in soup.get_text().splitlines())
    return markdown_sections(_tidy(text))


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()

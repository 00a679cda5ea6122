"""Files to text to chunks: every supported type read from real files, sections that say
where they are, chunks that respect their size, and clear errors for what cannot be read."""

from __future__ import annotations

import pytest

from studio.engine.retrieval import (
    Document,
    DocumentError,
    Section,
    markdown_sections,
    read_document,
    split_document,
)
from tests.support.documents import FACTS, pdf_bytes, sample_files


def test_every_supported_type_is_read():
    documents = {name: read_document(name, data) for name, data in sample_files().items()}
    assert {n: d.kind for n, d in documents.items()} == {
        "timetable.pdf": "pdf", "shed.docx": "docx", "canoe.html": "html", "choir.md": "markdown",
        "wifi.txt": "text"}
    for (kind, (fact, _)), document in zip(FACTS.items(), documents.values(), strict=True):
        assert fact in " ".join(document.text.split()), kind
    pdf = documents["timetable.pdf"]
    assert [s.location for s in pdf.sections] == ["page 1", "page 2"]
    assert FACTS["pdf"][0] in pdf.sections[1].text
    docx = documents["shed.docx"]
    assert docx.sections[0].location == "Tool shed"
    assert "Mower | left wall" in docx.text  # tables are kept, a row per line
    html = documents["canoe.html"]
    assert "var x" not in html.text and "Home | Boats" in html.text
    assert [s.location for s in html.sections] == ["", "Boats", "Boats › Canoe"]  # nav first
    assert documents["choir.md"].sections[-1].location == "Groups › Choir"


def test_errors_say_which_file_and_what_to_do():
    with pytest.raises(DocumentError, match=r"report\.doc: \.doc cannot be read; save it as \.docx"):
        read_document("report.doc", b"\xd0\xcf\x11\xe0")
    with pytest.raises(DocumentError, match=r"notes\.xyz: \.xyz cannot be read; supported are "
                                            r"\.pdf, \.docx"):
        read_document("notes.xyz", b"hello")
    with pytest.raises(DocumentError, match=r"broken\.pdf: the file could not be read as PDF"):
        read_document("broken.pdf", b"%PDF-1.4 this is not really a pdf")
    with pytest.raises(DocumentError, match=r"blank\.pdf: no text found \(a scanned PDF"):
        read_document("blank.pdf", pdf_bytes([""]))
    with pytest.raises(DocumentError, match=r"empty\.txt: no text found$"):
        read_document("empty.txt", b"  \n\n ")
    assert read_document("latin.txt", "Café crème".encode("cp1252")).text == "Café crème"


def test_markdown_sections_follow_the_headings_and_skip_code_fences():
    text = "intro\n\n# A\n\none\n\n## B\n\ntwo\n\n```\n# not a heading\n```\n\n# C\n\nthree"
    sections = markdown_sections(text)
    assert [s.location for s in sections] == ["", "A", "A › B", "C"]
    assert "# not a heading" in sections[2].text


def test_chunks_pack_paragraphs_and_cut_long_ones():
    paragraph = " ".join(f"Sentence number {i} is here." for i in range(60))  # ~1700 chars
    document = Document("long.txt", (Section("Short intro.\n\nAnother short one."),
                                     Section(paragraph, "page 2")))
    chunks = split_document(document, max_chars=400)
    assert chunks[0].text == "Short intro.\n\nAnother short one."  # packed together
    assert all(len(c.text) <= 400 for c in chunks)
    assert all(c.location == "page 2" for c in chunks[1:])  # never across sections
    assert " ".join(c.text for c in chunks[1:]) == paragraph  # nothing lost, cut at sentences
    assert all(c.text.endswith(".") for c in chunks[1:])
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[1].id == "long.txt#2" and chunks[1].label == "long.txt, page 2"
    word = split_document(Document("w.txt", (Section("x" * 250),)), max_chars=100)
    assert [len(c.text) for c in word] == [100, 100, 50]
    with pytest.raises(ValueError, match="at least 100 characters"):
        split_document(document, max_chars=10)

"""Real files of every supported type, made on the spot: a PDF (fpdf2), a Word document
(python-docx), HTML, Markdown and plain text. Each holds a fact found in no other file, so a
test can tell which file a retrieved passage came from."""

from __future__ import annotations

import io
from pathlib import Path

FACTS = {
    "pdf": ("The night bus to Lindholm leaves from platform 7 at 23:40.", "Timetable"),
    "docx": ("The spare key to the tool shed hangs behind the blue door.", "Tool shed"),
    "html": ("Members may borrow the canoe for up to three days.", "Canoe"),
    "md": ("The choir rehearses on Thursdays in the old library.", "Choir"),
    "txt": ("The Wi-Fi password of the club house is sunflower42.", "Wi-Fi"),
}


def pdf_bytes(pages: list[str]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def docx_bytes(title: str, paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def sample_files() -> dict[str, bytes]:
    """``{file name: content}``, one file of each supported type."""
    pdf_fact, _ = FACTS["pdf"]
    docx_fact, docx_title = FACTS["docx"]
    html_fact, html_title = FACTS["html"]
    md_fact, md_title = FACTS["md"]
    txt_fact, _ = FACTS["txt"]
    return {
        "timetable.pdf": pdf_bytes(["Club travel notes. Trains run every hour.", pdf_fact]),
        "shed.docx": docx_bytes(docx_title, ["The shed holds rakes, spades and a mower.",
                                             docx_fact],
                                table=[["Tool", "Where"], ["Mower", "left wall"]]),
        "canoe.html": (f"<html><head><title>Boats</title><script>var x = 1;</script></head>"
                       f"<body><nav>Home | Boats</nav><h1>Boats</h1><p>We own two boats.</p>"
                       f"<h2>{html_title}</h2><p>{html_fact}</p>"
                       f"<ul><li>Life jackets are in the hut.</li></ul></body></html>").encode(),
        "choir.md": f"# Groups\n\nThe club has several groups.\n\n## {md_title}\n\n{md_fact}\n"
                    .encode(),
        "wifi.txt": f"House notes\n\n{txt_fact}\n".encode(),
    }


def write_sample_files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in sample_files().items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    return paths

"""Text shown as it is inside Markdown. No Streamlit here."""

from __future__ import annotations

import re

# what Streamlit's Markdown reads as formatting, links, HTML, headings, tables, emoji
# shortcodes (:name:) or maths ($..$)
_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|~$:])")


def literal(text: str) -> str:
    """``text`` escaped for Markdown, so that it shows as typed: names, file names and
    values that come from what people typed or uploaded (``**x**.yaml`` stays that, not
    bold; ``[a](b).json`` is not a link)."""
    return _SPECIAL.sub(r"\\\1", text)

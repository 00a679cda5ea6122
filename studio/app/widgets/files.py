"""Files that code created in a run's work dir: a viewer and a download button."""

from __future__ import annotations

import mimetypes
from pathlib import Path

import streamlit as st

_TEXT_LIMIT = 20_000
_DOWNLOAD_LIMIT = 20 * 1024 * 1024
_IMAGES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def resolve(work_dir: Path | None, name: str) -> Path | None:
    """The file inside the work dir, or None when it is gone or outside it."""
    if work_dir is None:
        return None
    base = work_dir.resolve()
    path = (base / name).resolve()
    if base not in path.parents or not path.is_file():
        return None
    return path


@st.cache_data(max_entries=64, show_spinner=False)
def _read(path: str, mtime: float, size: int) -> bytes:
    return Path(path).read_bytes()


def file_viewer(work_dir: Path | None, file: dict, *, key: str) -> None:
    """One created file: name and size, a preview and a download button."""
    name = str(file.get("name", ""))
    size = int(file.get("size", 0) or 0)
    path = resolve(work_dir, name)
    with st.popover(f"📄 {name} · {human_size(size)}"):
        if path is None:
            st.caption("This file is no longer in the run's work folder.")
            return
        stat = path.stat()
        if stat.st_size > _DOWNLOAD_LIMIT:
            st.caption(f"Too large to preview here; find it in {path.parent}.")
            return
        data = _read(str(path), stat.st_mtime, stat.st_size)
        _preview(path, data)
        st.download_button("Download", data, file_name=path.name, key=key,
                           mime=mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def _preview(path: Path, data: bytes) -> None:
    suffix = path.suffix.lower()
    if suffix in _IMAGES:
        st.image(data if suffix != ".svg" else data.decode("utf-8", "replace"))
        return
    if suffix in (".csv", ".tsv"):
        try:
            import io

            import pandas as pd

            frame = pd.read_csv(io.BytesIO(data), sep="\t" if suffix == ".tsv" else ",")
            st.dataframe(frame, hide_index=True)
            return
        except Exception:  # noqa: BLE001 - fall back to showing the text
            pass
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        st.caption("A binary file: download it to open it.")
        return
    language = {".py": "python", ".sh": "bash", ".json": "json", ".md": "markdown",
                ".html": "html", ".yaml": "yaml", ".yml": "yaml"}.get(suffix, "text")
    shown = text if len(text) <= _TEXT_LIMIT else text[:_TEXT_LIMIT] + "\n… (cut; download to see all)"
    st.code(shown, language=language)

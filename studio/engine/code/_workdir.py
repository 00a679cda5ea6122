"""The work dir code runs in: creation, named files, and which files an execution changed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ._interface import FileInfo

_MAX_ENTRIES = 5000  # stop listing huge trees; the studio only shows a short list anyway
SCRATCH_DIR = ".roundtable"  # our own scratch files; never listed
_SKIP_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", SCRATCH_DIR})

Snapshot = dict[str, tuple[int, int]]  # relative name -> (size, mtime_ns)


def make_work_dir(given: str | os.PathLike[str] | None, prefix: str) -> tuple[Path, bool]:
    """The work dir to use and whether we created it (a fresh temp dir when none is given)."""
    if given is not None:
        path = Path(given).expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path, False
    return Path(tempfile.mkdtemp(prefix=prefix)).resolve(), True


def snapshot(root: Path) -> Snapshot:
    """Regular files under ``root`` with their size and modification time."""
    found: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for name in filenames:
            full = os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if not os.path.isfile(full) or os.path.islink(full):
                continue
            found[os.path.relpath(full, root)] = (st.st_size, st.st_mtime_ns)
            if len(found) >= _MAX_ENTRIES:
                return found
    return found


def changed_files(before: Snapshot, after: Snapshot) -> tuple[FileInfo, ...]:
    """Files that are new or changed in ``after``, sorted by name."""
    return tuple(
        FileInfo(name=name, size=meta[0])
        for name, meta in sorted(after.items())
        if before.get(name) != meta
    )


def resolve_inside(root: Path, name: str) -> Path | None:
    """``root / name`` when it stays inside ``root``, else None."""
    target = (root / name).resolve()
    if target == root or root not in target.parents:
        return None
    return target


def give_to(root: Path, uid: int, gid: int) -> None:
    """Hand the work dir (and what is in it) to ``uid``:``gid`` so sandboxed code may write it."""
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
            try:
                st = os.lstat(name)
                if st.st_uid != uid or st.st_gid != gid:
                    os.lchown(name, uid, gid)
            except OSError:
                continue

"""Where the bundled data lives: the ``studio.components`` / ``studio.templates`` packages
of an installed wheel, or the ``components/`` and ``templates/`` folders of a checkout."""

from __future__ import annotations

import importlib.resources
from importlib.resources.abc import Traversable
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


def bundled_dir(kind: str) -> Traversable:
    """The folder of bundled ``components`` or ``templates``."""
    if kind not in ("components", "templates"):
        raise ValueError(f"unknown bundled folder {kind!r}: use 'components' or 'templates'")
    try:
        root = importlib.resources.files(f"studio.{kind}")
        if root.is_dir():
            return root
    except ModuleNotFoundError:
        pass
    return _REPO_ROOT / kind

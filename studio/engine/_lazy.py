"""Lazy package exports (PEP 562), so that a command imports only what it uses.

A package's ``__init__`` names what it exports once, as ``from .module import Name`` lines
inside ``if TYPE_CHECKING:`` (what readers and type checkers see), then ends with::

    __getattr__, __dir__ = lazy_exports(__name__, __file__)

Each name then imports its module the first time it is used, and is kept on the package
(the next use costs nothing). ``roundtable templates list`` needs the store and the template
files, not the run manager, the Celery glue or the agents: eager package imports made it
pay for all of them.

Also used by :mod:`studio.spec` and :mod:`studio.runs`, which depend on the engine anyway.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def lazy_exports(package: str, init_file: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose ``__init__`` is ``init_file``."""
    exports = _exports(Path(init_file).read_text(encoding="utf-8"))

    def __getattr__(name: str) -> Any:
        where = exports.get(name)
        if where is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = where
        loaded = importlib.import_module(module, package)
        value = loaded if attribute is None else getattr(loaded, attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__


def _exports(source: str) -> dict[str, tuple[str, str | None]]:
    """name -> (relative module, attribute; None for a submodule) from the relative imports
    inside the source's top-level ``if TYPE_CHECKING:`` blocks."""
    exports: dict[str, tuple[str, str | None]] = {}
    for block in ast.parse(source).body:
        if not (isinstance(block, ast.If) and isinstance(block.test, ast.Name)
                and block.test.id == "TYPE_CHECKING"):
            continue
        for statement in block.body:
            if not (isinstance(statement, ast.ImportFrom) and statement.level > 0):
                continue
            base = "." * statement.level
            for alias in statement.names:
                if statement.module is None:  # from . import events: a submodule
                    exports[alias.asname or alias.name] = (base + alias.name, None)
                else:
                    exports[alias.asname or alias.name] = (base + statement.module, alias.name)
    if not exports:
        raise ImportError("lazy_exports found no `from .module import Name` under TYPE_CHECKING")
    return exports

"""Pieces of an exported script's source that keep it ruff-clean: literals wrapped to
:data:`WIDTH` columns, an import block sorted the way ruff's isort rules want, and tool
source split into its imports and the rest."""

from __future__ import annotations

import ast
import io
import pprint
import re
import sys
import tokenize
from typing import Any

WIDTH = 100  # the longest line a script holds


# -- literals that fit in WIDTH columns ---------------------------------------------------
def lit(value: Any, column: int = 0, indent: int | None = None) -> str:
    """A Python literal for ``value`` written from ``column`` on, in a statement indented by
    ``indent`` (default: ``column``): a readable triple-quoted block for multi-line text that
    fits, else pprint wrapped to the width left, else one item per line."""
    if isinstance(value, str) and "\n" in value and _fits_block(value):
        return '"""\\\n' + value.replace("\\", "\\\\") + '"""'
    items = value.values() if isinstance(value, dict) else value \
        if isinstance(value, (list, tuple)) else ()
    if any(isinstance(v, str) and "\n" in v for v in items):  # keep long texts readable
        return _spread(value, column if indent is None else indent)
    text = pprint.pformat(value, width=max(40, WIDTH - column - 1), sort_dicts=False)
    pad = " " * column
    lines = [line if i == 0 else pad + line for i, line in enumerate(text.split("\n"))]
    if len(lines[0]) + column < WIDTH and all(len(line) < WIDTH for line in lines[1:]) or \
            not isinstance(value, (dict, list, tuple)) or not value:
        return "\n".join(lines)
    return _spread(value, column if indent is None else indent)


def _spread(value: dict | list | tuple, indent: int) -> str:
    """A container one item a line (keys too long for pprint, e.g. whole questions)."""
    inner = " " * (indent + 4)
    opening, closing = {dict: ("{", "}"), list: ("[", "]"), tuple: ("(", ")")}[type(value)]
    lines = [opening]
    pairs = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in pairs:
        head = inner
        if isinstance(value, dict):
            head = inner + lit(key, len(inner), indent + 4) + ": "
        last = head.split("\n")[-1]
        lines.append(head + lit(item, len(last), indent + 4) + ",")
    lines.append(" " * indent + closing)
    return "\n".join(lines)


def _fits_block(text: str) -> bool:
    if '"""' in text or text.endswith(('"', "\\")) or "\t" in text or "\r" in text:
        return False
    lines = text.replace("\\", "\\\\").split("\n")
    if any(len(line) > WIDTH or line != line.rstrip() for line in lines):
        return False
    return len(lines[-1]) + 3 <= WIDTH and all(c.isprintable() for c in text.replace("\n", ""))


def kwarg(name: str, value: Any, indent: int) -> list[str]:
    """``name=<literal>,`` at ``indent``, wrapped to fit."""
    head = " " * indent + f"{name}="
    return (head + lit(value, len(head)) + ",").split("\n")


def ident(name: str) -> str:
    ident = re.sub(r"\W", "_", name)
    return ident if ident.isidentifier() and not ident[0].isdigit() else f"agent_{ident}"


def wrapped_list(head: str, items: list[str], tail: str, indent: int) -> list[str]:
    """``head[a, b, c]tail`` on one line if it fits, else one item a line."""
    one = f"{' ' * indent}{head}[{', '.join(items)}]{tail}"
    if len(one) <= WIDTH:
        return [one]
    return ([f"{' ' * indent}{head}["] + [f"{' ' * (indent + 4)}{item}," for item in items]
            + [f"{' ' * indent}]{tail}"])


# -- imports ---------------------------------------------------------------------------------
class Imports:
    """The script's import block, sorted as ruff's isort rules want it."""

    def __init__(self) -> None:
        self.future: set[str] = set()
        self.plain: dict[str, set[str]] = {}  # module -> aliases ("" for none)
        self.names: dict[str, set[str]] = {}  # module -> "name" or "name as alias"

    def add(self, node: ast.Import | ast.ImportFrom) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.plain.setdefault(alias.name, set()).add(alias.asname or "")
            return
        module = node.module or ""
        for alias in node.names:
            entry = f"{alias.name} as {alias.asname}" if alias.asname else alias.name
            if module == "__future__":
                self.future.add(entry)
            else:
                self.names.setdefault(module, set()).add(entry)

    def bound(self) -> dict[str, str]:
        """Every name the imports bind -> where it comes from."""
        out = {}
        for module, aliases in self.plain.items():
            for alias in aliases:
                out[alias or module.split(".")[0]] = module
        for module, names in self.names.items():
            for entry in names:
                out[entry.split(" as ")[-1]] = f"{module}.{entry.split(' as ')[0]}"
        return out

    def lines(self) -> list[str]:
        sections: list[list[str]] = []
        if self.future:
            sections.append(self._from("__future__", self.future))
        for group in ("stdlib", "third", "studio"):
            block = [f"import {m}" + (f" as {a}" if a else "")
                     for m in sorted(self.plain, key=_module_key) if _group(m) == group
                     for a in sorted(self.plain[m])]
            for module in sorted(self.names, key=_module_key):
                if _group(module) == group:
                    block += self._from(module, self.names[module])
            if block:
                sections.append(block)
        out: list[str] = []
        for block in sections:
            out += [*block, ""]
        return out[:-1]

    @staticmethod
    def _from(module: str, entries: set[str]) -> list[str]:
        plain = sorted((e for e in entries if " as " not in e), key=_member_key)
        lines = []
        if plain:
            one = f"from {module} import {', '.join(plain)}"
            lines = [one] if len(one) <= 88 or len(plain) == 1 else (
                [f"from {module} import ("] + [f"    {n}," for n in plain] + [")"])
        lines += [f"from {module} import {e}" for e in sorted(entries - set(plain),
                                                               key=_member_key)]
        return lines


def _group(module: str) -> str:
    top = module.split(".")[0]
    if top == "studio":
        return "studio"
    return "stdlib" if top in sys.stdlib_module_names else "third"


def _module_key(module: str) -> tuple[str, str]:
    return module.lower(), module


def _member_key(entry: str) -> tuple[int, str, str]:
    name = entry.split(" as ")[0]
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name.lower(), name


# -- tools -----------------------------------------------------------------------------------
def split_tool(source: str) -> tuple[list[ast.Import | ast.ImportFrom], str, set[str]]:
    """(top-level imports, the rest of the source, names the rest defines)."""
    tree = ast.parse(source)
    lines = source.splitlines()
    imports: list[ast.Import | ast.ImportFrom] = []
    drop: set[int] = set()
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                isinstance(node, ast.ImportFrom) and node.level):
            imports.append(node)
            drop.update(range(node.lineno - 1, node.end_lineno or node.lineno))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
    rest = "\n".join(line for i, line in enumerate(lines) if i not in drop)
    return imports, re.sub(r"\n{3,}", "\n\n\n", rest).strip("\n"), names


def indented(source: str) -> list[str]:
    """``source`` indented one level, except the inside of multi-line strings (their
    text stays exactly as it was) and blank lines."""
    inside: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source + "\n").readline):
        if token.type == tokenize.STRING and token.end[0] > token.start[0]:
            inside.update(range(token.start[0] + 1, token.end[0] + 1))
    return ["    " + line if line.strip() and i not in inside else line
            for i, line in enumerate(source.split("\n"), start=1)]

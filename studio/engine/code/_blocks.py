"""Find fenced code blocks in a message and format an execution result for the model."""

from __future__ import annotations

import ast
import re

from ._interface import CodeBlock, CodeResult

PYTHON = "python"
BASH = "bash"
SH = "sh"

_ALIASES = {
    "python": PYTHON,
    "python3": PYTHON,
    "py": PYTHON,
    "py3": PYTHON,
    "sh": SH,
    "bash": BASH,
    "shell": BASH,
    "console": BASH,
    "shell-session": BASH,
}

SUPPORTED_LANGUAGES = frozenset({PYTHON, BASH, SH})

# ```lang [anything]\n ... \n```  (the closing fence on a line of its own)
_FENCE = re.compile(r"```[ \t]*([\w+#.-]*)[^\n]*\r?\n(.*?)\r?\n[ \t]*```", re.DOTALL)
_FILENAME = re.compile(r"^\s*(?:#|//)\s*filename:\s*(\S+)\s*$", re.IGNORECASE)
_SHELL_LINE = re.compile(r"^\s*(?:\$\s*)?(?:pip3?|python3?)\s")
_PROMPT = re.compile(r"^\s*\$ ", re.MULTILINE)


def normalize_language(language: str) -> str:
    """``py``/``python3`` -> ``python``; ``shell``/``console`` -> ``bash``; others lower-cased."""
    lang = language.strip().lower()
    return _ALIASES.get(lang, lang)


def _infer_untagged(code: str) -> str | None:
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return None
    if all(_SHELL_LINE.match(line) for line in lines):
        return BASH
    try:
        ast.parse(code)
    except SyntaxError:
        return None
    return PYTHON


def extract_code_blocks(text: str) -> list[CodeBlock]:
    """The fenced code blocks of ``text``, in order, with normalised languages.

    Untagged blocks run as Python when they parse as Python, and as shell when every line is a
    ``pip ...`` or ``python ...`` command; other untagged blocks (sample output, prose) are not code
    and are left out. Tagged blocks keep their language, so an unsupported one is reported when run.
    """
    blocks: list[CodeBlock] = []
    for match in _FENCE.finditer(text):
        tag, code = match.group(1), match.group(2)
        if not code.strip():
            continue
        if tag:
            language = normalize_language(tag)
            if tag.lower() in ("console", "shell-session"):
                code = _PROMPT.sub("", code)
        else:
            inferred = _infer_untagged(code)
            if inferred is None:
                continue
            language = inferred
            if language == BASH:
                code = _PROMPT.sub("", code)
        blocks.append(CodeBlock(code=code, language=language))
    return blocks


def block_filename(code: str) -> str | None:
    """The NAME of a first line ``# filename: NAME``, if the block has one."""
    first = code.lstrip("\n").split("\n", 1)[0]
    match = _FILENAME.match(first)
    return match.group(1) if match else None


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def format_code_result(result: CodeResult) -> str:
    """The reply the model reads: ``exitcode: N (execution succeeded|failed)``, output, files."""
    status = "execution succeeded" if result.exit_code == 0 else "execution failed"
    text = f"exitcode: {result.exit_code} ({status})\nCode output: {result.output}"
    if result.files:
        shown = ", ".join(f"{f.name} ({_size(f.size)})" for f in result.files[:20])
        more = f" and {len(result.files) - 20} more" if len(result.files) > 20 else ""
        text += f"\nFiles: {shown}{more}"
    return text

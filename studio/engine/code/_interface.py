"""The code-executor interface: run extracted code blocks, report output and files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .._control import CancelToken


@dataclass(frozen=True)
class CodeBlock:
    code: str
    language: str  # normalised: python | bash | sh | shell | <as written>


@dataclass(frozen=True)
class FileInfo:
    name: str  # path relative to the work dir
    size: int


@dataclass(frozen=True)
class CodeResult:
    exit_code: int
    output: str
    files: tuple[FileInfo, ...] = ()  # files created or changed by this execution
    sandbox: str = ""  # which sandbox ran it: "none" | "subprocess" | "bubblewrap" | "docker"
    timed_out: bool = False
    duration: float = 0.0


class CodeExecutionError(Exception):
    """The executor cannot run code at all (misconfiguration: no engine, missing image...)."""


@runtime_checkable
class CodeExecutor(Protocol):
    """Runs code blocks in order in a work dir, stopping at the first failure."""

    name: str  # "none" | "local" | "docker"

    @property
    def work_dir(self) -> Path | None: ...

    def execute(self, blocks: list[CodeBlock], *, cancel: CancelToken | None = None) -> CodeResult:
        ...

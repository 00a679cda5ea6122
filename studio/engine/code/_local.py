"""The ``local`` executor (a subprocess, in bubblewrap when available) and the ``none`` one."""

from __future__ import annotations

import functools
import math
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import _bubblewrap as bw
from ._blocks import PYTHON
from ._env import scrubbed_environment
from ._interface import CodeBlock, CodeExecutionError, CodeResult
from ._process import ProcessOutcome, run_process
from ._runner import BlockExecutor
from ._workdir import make_work_dir

if TYPE_CHECKING:
    from .._control import CancelToken

SandboxChoice = Literal["auto", "bubblewrap", "none"]

INSTALL_HINT = (
    "install bubblewrap (apt-get install bubblewrap) or allow unsandboxed execution in Settings"
)
BWRAP_MISSING = "bubblewrap (bwrap) is not installed"
NOT_STARTING_HINT = (
    "run code in containers instead (executor 'docker') or allow unsandboxed execution in "
    "Settings"
)


@dataclass(frozen=True)
class Limits:
    """Resource limits for each process the code starts (``None``: not limited)."""

    memory_mb: int | None = 512  # address space
    cpu_seconds: int | None = None  # default: the executor's timeout, rounded up, plus one
    max_processes: int | None = 128  # for the sandbox user (enforced for unprivileged users)
    file_size_mb: int | None = 100  # largest file the code may write
    tmp_size_mb: int = 64  # size of the private /tmp (bubblewrap)


class NoExecutor:
    """Code execution turned off: every request gets a result saying so."""

    name = "none"

    @property
    def work_dir(self) -> Path | None:
        return None

    def execute(self, blocks: list[CodeBlock], *, cancel: CancelToken | None = None) -> CodeResult:
        return CodeResult(
            exit_code=1,
            output="Code execution is turned off for this agent (executor 'none'); "
            "the code was not run.",
            sandbox="none",
        )

    def cleanup(self) -> None:
        """Nothing to clean."""


@functools.lru_cache(maxsize=4)
def local_sandbox_status(python: str | None = None) -> tuple[str, str | None]:
    """Which sandbox the local executor would use here: ("bubblewrap", None), or
    ("none", why not) when bubblewrap is missing or does not start (checked once)."""
    setup = bw.find_setup()
    if setup is None:
        return "none", BWRAP_MISSING
    problem = bw.probe(setup, python or sys.executable or "python3")
    return ("bubblewrap", None) if problem is None else ("none", problem)


class LocalExecutor(BlockExecutor):
    """Runs code blocks as local processes: in bubblewrap when it works here, else only if allowed.

    ``sandbox="auto"`` uses bubblewrap when ``bwrap`` is installed and starts; without it the
    executor refuses (``CodeExecutionError``) unless ``allow_unsandboxed`` is true, and then says
    why once, in :attr:`sandbox_warning`.
    """

    name = "local"

    def __init__(
        self,
        *,
        sandbox: SandboxChoice = "auto",
        allow_unsandboxed: bool = False,
        timeout: float = 60,
        limits: Limits | None = None,
        output_limit: int = 20_000,
        max_output_bytes: int = 4_000_000,
        work_dir: str | os.PathLike[str] | None = None,
        python: str | None = None,
    ) -> None:
        if sandbox not in ("auto", "bubblewrap", "none"):
            raise ValueError(f"sandbox must be 'auto', 'bubblewrap' or 'none', got {sandbox!r}")
        path, owned = make_work_dir(work_dir, "roundtable-code-")
        super().__init__(
            work_dir=path, owns_work_dir=owned, timeout=timeout, output_limit=output_limit,
            max_output_bytes=max_output_bytes,
        )
        self.limits = limits or Limits()
        self.python = python or sys.executable or "python3"
        self.sandbox_warning: str | None = None
        self._refusal: str | None = None
        self._bwrap: bw.BwrapSetup | None = None
        self._prlimit = shutil.which("prlimit")
        self._choose(sandbox, allow_unsandboxed)

    def _choose(self, sandbox: SandboxChoice, allow_unsandboxed: bool) -> None:
        if sandbox == "none":
            if not allow_unsandboxed:
                self._refusal = (
                    "sandbox='none' would run code unsandboxed: allow unsandboxed execution in "
                    "Settings (allow_unsandboxed=True), or use sandbox='auto'"
                )
            return
        setup = bw.find_setup()
        problem = BWRAP_MISSING if setup is None else bw.probe(setup, self.python)
        if setup is not None and problem is None:
            self._bwrap = setup
            return
        if sandbox == "auto" and allow_unsandboxed:
            self.sandbox_warning = f"{problem}; code runs UNSANDBOXED (allowed in Settings)"
        elif setup is None:
            hint = INSTALL_HINT if sandbox == "auto" else "apt-get install bubblewrap"
            self._refusal = f"{problem}: cannot run code safely; {hint}"
        else:
            hint = NOT_STARTING_HINT if sandbox == "auto" else "run code in containers instead"
            self._refusal = f"{problem}. Code cannot run safely; {hint}"

    @property
    def sandbox(self) -> str:
        return "bubblewrap" if self._bwrap is not None else "subprocess"

    def _prepare(self) -> None:
        if self._refusal is not None:
            raise CodeExecutionError(self._refusal)

    def _sandbox_user(self) -> int | None:
        if self._bwrap is not None and self._bwrap.drops_to_nobody:
            return bw.NOBODY
        return None

    def _interpreter(self, language: str) -> list[str]:
        return [self.python] if language == PYTHON else [language]

    def _cpu_seconds(self) -> int | None:
        if self.limits.cpu_seconds is not None:
            return self.limits.cpu_seconds
        return math.ceil(self.timeout) + 1

    def _rlimits(self) -> list[str]:
        lim = self.limits
        if self._prlimit is None:
            return []
        args = [self._prlimit]
        if lim.memory_mb is not None:
            args.append(f"--as={lim.memory_mb * 1024 * 1024}")
        if (cpu := self._cpu_seconds()) is not None:
            args.append(f"--cpu={cpu}")
        if lim.max_processes is not None:
            args.append(f"--nproc={lim.max_processes}")
        if lim.file_size_mb is not None:
            args.append(f"--fsize={lim.file_size_mb * 1024 * 1024}")
        return [*args, "--"]

    def _limit_hint(self, signum: int) -> str:
        if signum == signal.SIGXCPU:
            return f" (the CPU time limit of {self._cpu_seconds()} s was reached)"
        if signum == signal.SIGXFSZ:
            return f" (the file size limit of {self.limits.file_size_mb} MB was reached)"
        if signum == signal.SIGKILL and self.limits.memory_mb is not None:
            return f" (possibly the memory limit of {self.limits.memory_mb} MB)"
        return ""

    def _run(self, argv: list[str], cancel: CancelToken | None) -> ProcessOutcome:
        work = str(self._work_dir)
        env = scrubbed_environment()
        # `python` and `pip` in shell blocks mean the interpreter that runs python blocks
        env["PATH"] = os.pathsep.join([os.path.dirname(self.python), env["PATH"]])
        if self._bwrap is not None:
            argv = bw.bwrap_argv(
                self._bwrap, self._work_dir, argv, python=self.python,
                tmp_size_mb=self.limits.tmp_size_mb,
            )
            env.update(HOME=work, TMPDIR="/tmp")
        return run_process(
            [*self._rlimits(), *argv],
            cwd=work,
            env=env,
            timeout=self.timeout,
            keep_bytes=self.output_limit + 1,
            max_bytes=self.max_output_bytes,
            cancel=cancel,
        )

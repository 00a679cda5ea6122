"""What every executor shares: run blocks in order, stop at the first failure, report files."""

from __future__ import annotations

import shutil
import signal
import time
import weakref
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .._control import Cancelled
from ._blocks import BASH, PYTHON, SH, SUPPORTED_LANGUAGES, block_filename, normalize_language
from ._interface import CodeBlock, CodeResult
from ._process import ProcessOutcome
from ._resources import Limits, RunResources, acquire, release
from ._workdir import SCRATCH_DIR, changed_files, give_to, resolve_inside, snapshot

if TYPE_CHECKING:
    from .._control import CancelToken

TIMEOUT_EXIT_CODE = 124
_MAX_INLINE_CODE = 100_000  # longer code goes through a scratch file instead of argv
_EXTENSIONS = {PYTHON: "py", BASH: "sh", SH: "sh"}


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class BlockExecutor(ABC):
    """Base of the local and Docker executors: subclasses turn a command into a process run."""

    name: str = ""

    def __init__(
        self, *, work_dir: Path, owns_work_dir: bool, timeout: float, output_limit: int,
        max_output_bytes: int,
    ) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if output_limit < 100:
            raise ValueError(f"output_limit must be at least 100 characters, got {output_limit}")
        self._work_dir = work_dir
        self._owns_work_dir = owns_work_dir
        self.timeout = float(timeout)
        self.output_limit = output_limit
        self.max_output_bytes = max(max_output_bytes, output_limit)
        self._resources: RunResources | None = None
        self._release: Callable[[], object] = lambda: None

    @property
    def work_dir(self) -> Path:
        return self._work_dir

    @property
    @abstractmethod
    def sandbox(self) -> str:
        """Which sandbox runs the code: "subprocess" | "bubblewrap" | "docker"."""

    @abstractmethod
    def _prepare(self) -> None:
        """Check the executor can run code at all; raise CodeExecutionError saying what to do."""

    @abstractmethod
    def _interpreter(self, language: str) -> list[str]:
        """The argv prefix that runs ``language``."""

    @abstractmethod
    def _run(self, argv: list[str], cancel: CancelToken | None) -> ProcessOutcome:
        """Run ``argv`` in the work dir with this executor's limits."""

    def _run_limits(self) -> Limits:
        """The limits of the run's shared resources (the disk limit, the cgroup)."""
        return Limits()

    @property
    def resources(self) -> RunResources:
        """The run's cgroup and disk limit, shared with every executor of this work dir."""
        if self._resources is None:
            self._work_dir.mkdir(parents=True, exist_ok=True)
            self._resources = acquire(self._work_dir, self._run_limits(), self._sandbox_user())
            # released by cleanup(), or when the executor is dropped without it
            self._release = weakref.finalize(self, release, self._resources)
        return self._resources

    def cleanup(self) -> None:
        """Release the run's limits (the last executor of the work dir gives its files back
        from their own file system); delete the work dir if this executor created it (a given
        work dir is left alone)."""
        if self._resources is not None:
            self._release()
            self._resources = None
        if self._owns_work_dir:
            shutil.rmtree(self._work_dir, ignore_errors=True)

    # -- the block loop -------------------------------------------------------------------
    def execute(self, blocks: list[CodeBlock], *, cancel: CancelToken | None = None) -> CodeResult:
        started = time.monotonic()
        self._prepare()
        self._work_dir.mkdir(parents=True, exist_ok=True)
        _ = self.resources
        self._give_work_dir()
        before = snapshot(self._work_dir)
        outputs: list[str] = []
        exit_code = 0
        timed_out = False
        budget = self.output_limit
        for index, block in enumerate(blocks):
            if cancel is not None:
                cancel.raise_if_set()
            language = normalize_language(block.language)
            if language not in SUPPORTED_LANGUAGES:
                outputs.append(f"unknown language {block.language}")
                exit_code = 1
                break
            argv, error = self._command(index, language, block.code)
            if argv is None:
                outputs.append(error)
                exit_code = 1
                break
            outcome = self._run(argv, cancel)
            if outcome.cancelled:
                raise Cancelled()
            code, text, note = self._describe(outcome)
            if len(text) > budget:
                text = text[:budget] + f"\n... [output truncated after {self.output_limit} characters]"
            budget = max(0, budget - len(text))
            outputs.append(text + note)
            if code != 0:
                exit_code = code
                timed_out = outcome.timed_out
                break
        output = "".join(o if o.endswith("\n") or not o else o + "\n" for o in outputs)
        return CodeResult(
            exit_code=exit_code,
            output=output,
            files=changed_files(before, snapshot(self._work_dir)),
            sandbox=self.sandbox,
            timed_out=timed_out,
            duration=time.monotonic() - started,
        )

    def _command(self, index: int, language: str, code: str) -> tuple[list[str] | None, str]:
        name = block_filename(code)
        if name is None and len(code) > _MAX_INLINE_CODE:
            name = f"{SCRATCH_DIR}/block-{index}.{_EXTENSIONS[language]}"
        if name is None:
            return [*self._interpreter(language), "-c", code], ""
        target = resolve_inside(self._work_dir, name)
        if target is None:
            return None, f"filename {name!r} must be a relative path inside the work dir"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code, encoding="utf-8")
        self._give_work_dir()
        return [*self._interpreter(language), str(target.relative_to(self._work_dir))], ""

    def _sandbox_user(self) -> int | None:
        """The uid (= gid) code runs as when the work dir must be handed to it, else None."""
        return None

    def _give_work_dir(self) -> None:
        """Let the sandbox user write the work dir and the files the host wrote into it."""
        uid = self._sandbox_user()
        if uid is not None:
            give_to(self._work_dir, uid, uid)

    def _describe(self, outcome: ProcessOutcome) -> tuple[int, str, str]:
        """The block's exit code, its output, and a line saying why it was stopped (if so)."""
        text = outcome.output.decode("utf-8", errors="replace")
        if len(outcome.output) < outcome.total_bytes:
            text += f"\n... [output truncated: {outcome.total_bytes} bytes in total]"
        code = outcome.returncode
        if outcome.timed_out:
            return TIMEOUT_EXIT_CODE, text, (
                f"\nTimeout: the code did not finish within {self.timeout:g} s and was stopped "
                "(it timed out)."
            )
        if outcome.overflowed:
            return 1, text, (
                f"\nStopped: the code printed more than {self.max_output_bytes} bytes of output."
            )
        if code < 0:
            code = 128 - code
        if outcome.note:
            return code or 1, text, f"\n{outcome.note}"
        if code > 128 and code - 128 in (signal.SIGKILL, signal.SIGXCPU, signal.SIGXFSZ):
            return code, text, f"\nKilled by {_signal_name(code - 128)}{self._limit_hint(code - 128)}."
        return code, text, ""

    def _limit_hint(self, signum: int) -> str:
        """Subclasses say which limit a signal most likely means."""
        return ""

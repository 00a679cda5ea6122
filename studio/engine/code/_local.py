"""The ``local`` executor (a subprocess, in bubblewrap when available) and the ``none`` one."""

from __future__ import annotations

import functools
import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from . import _bubblewrap as bw
from ._blocks import PYTHON
from ._cgroup import JOIN_FAILED, JOIN_FAILED_MARK
from ._env import code_environment
from ._interface import CodeBlock, CodeExecutionError, CodeResult
from ._process import ProcessOutcome, run_process
from ._resources import Limits, processes_of
from ._runner import BlockExecutor
from ._workdir import SCRATCH_DIR, give_to, make_work_dir

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


def _runs_as_nobody(setpriv: str, python: str, work_dir: Path) -> bool:
    """Whether code started as uid 65534 can run ``python`` and write in ``work_dir`` (the
    interpreter or the work dir may sit in a folder only root can enter, such as /root)."""
    give_to(work_dir, bw.NOBODY, bw.NOBODY)
    probe = "import os; open(os.path.join(os.getcwd(), '.roundtable-probe'), 'w').close()"
    try:
        done = subprocess.run(
            [setpriv, f"--reuid={bw.NOBODY}", f"--regid={bw.NOBODY}", "--clear-groups",
             "/bin/sh", "-c", 'cd "$1" && "$2" -I -c "$3"', "probe", str(work_dir), python, probe],
            capture_output=True, timeout=30, cwd="/", env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError):
        return False
    (work_dir / ".roundtable-probe").unlink(missing_ok=True)
    return done.returncode == 0


class LocalExecutor(BlockExecutor):
    """Runs code blocks as local processes: in bubblewrap when it works here, else only if allowed.

    ``sandbox="auto"`` uses bubblewrap when ``bwrap`` is installed and starts; without it the
    executor refuses (``CodeExecutionError``) unless ``allow_unsandboxed`` is true, and then says
    why once, in :attr:`sandbox_warning`. Unsandboxed code started by root runs as ``nobody``
    where the interpreter allows it. The run's limits (:class:`Limits`) and how they are
    enforced here are in :attr:`limits_report`.
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
        self._unsandboxed_because: str | None = None
        self._refusal: str | None = None
        self._bwrap: bw.BwrapSetup | None = None
        self._setpriv: str | None = None  # unsandboxed, started by root: run as nobody
        self._prlimit = shutil.which("prlimit")
        self._choose(sandbox, allow_unsandboxed)

    def _choose(self, sandbox: SandboxChoice, allow_unsandboxed: bool) -> None:
        if sandbox == "none":
            if not allow_unsandboxed:
                self._refusal = (
                    "sandbox='none' would run code unsandboxed: allow unsandboxed execution in "
                    "Settings (allow_unsandboxed=True), or use sandbox='auto'"
                )
            else:
                self._go_unsandboxed(None)
            return
        setup = bw.find_setup()
        problem = BWRAP_MISSING if setup is None else bw.probe(setup, self.python)
        if setup is not None and problem is None:
            self._bwrap = setup
            return
        if sandbox == "auto" and allow_unsandboxed:
            self._go_unsandboxed(problem)
        elif setup is None:
            hint = INSTALL_HINT if sandbox == "auto" else "apt-get install bubblewrap"
            self._refusal = f"{problem}: cannot run code safely; {hint}"
        else:
            hint = NOT_STARTING_HINT if sandbox == "auto" else "run code in containers instead"
            self._refusal = f"{problem}. Code cannot run safely; {hint}"

    def _go_unsandboxed(self, problem: str | None) -> None:
        setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
        if setpriv is not None and _runs_as_nobody(setpriv, self.python, self._work_dir):
            self._setpriv = setpriv
            who = ("as user nobody: it can still read every file that anybody may read, "
                   "and no folder is hidden from it")
        else:
            who = (f"as {'root' if os.geteuid() == 0 else 'your user'}: it can read and change "
                   "whatever that user can, the studio's data included")
        self._unsandboxed_because = (
            f"{problem + '; ' if problem else ''}code runs UNSANDBOXED (allowed in Settings), {who}")

    @property
    def sandbox(self) -> str:
        return "bubblewrap" if self._bwrap is not None else "subprocess"

    @property
    def sandbox_warning(self) -> str | None:
        """What the person should know: code runs unsandboxed, or a limit is weaker here."""
        notes = [n for n in (self._unsandboxed_because, self._weaker_limits()) if n]
        return "; ".join(notes) or None

    @property
    def limits_report(self) -> dict[str, str]:
        """Each of the run's limits and what enforces it here."""
        lim = self.limits
        group = self.resources.cgroup()
        report: dict[str, str] = {}
        if lim.memory_mb is not None:
            report["memory"] = (
                f"{lim.memory_mb} MB for all of the run's processes ({group.description})"
                if group is not None else
                f"{lim.memory_mb} MB of address space per process only (no cgroup: "
                f"{self.resources.cgroup_problem})")
        if lim.max_processes is not None:
            report["processes"] = (
                f"{lim.max_processes} for the run ({group.description})" if group is not None
                else f"{lim.max_processes} more processes of the user the code runs as "
                     f"(RLIMIT_NPROC; no cgroup: {self.resources.cgroup_problem})")
        disk = self.resources.disk
        if disk is not None:
            report["disk"] = disk.description
        if lim.file_size_mb is not None:
            report["file size"] = f"{lim.file_size_mb} MB per file"
        return report

    def _weaker_limits(self) -> str | None:
        if self._resources is None:
            return None  # not known before the first execution
        weaker = []
        if self.resources.cgroup() is None and (self.limits.memory_mb or self.limits.max_processes):
            weaker.append(f"memory and process limits hold per process, not for the whole run "
                          f"({self.resources.cgroup_problem})")
        disk = self.resources.disk
        if disk is not None and disk.mode == "watched":
            weaker.append(f"the disk limit of {disk.limit_mb} MB is checked every few tenths of "
                          f"a second, not enforced by a file system ({disk.reason})")
        return "limits: " + "; ".join(weaker) if weaker else None

    def _run_limits(self) -> Limits:
        return self.limits

    def _prepare(self) -> None:
        if self._refusal is not None:
            raise CodeExecutionError(self._refusal)

    def _sandbox_user(self) -> int | None:
        if self._setpriv is not None or (self._bwrap is not None and self._bwrap.drops_to_nobody):
            return bw.NOBODY
        return None

    def _interpreter(self, language: str) -> list[str]:
        return [self.python] if language == PYTHON else [language]

    def _cpu_seconds(self) -> int | None:
        if self.limits.cpu_seconds is not None:
            return self.limits.cpu_seconds
        return math.ceil(self.timeout) + 1

    def _rlimits(self, per_user_processes: bool) -> list[str]:
        lim = self.limits
        if self._prlimit is None:
            return []
        args = [self._prlimit]
        if lim.memory_mb is not None:
            args.append(f"--as={lim.memory_mb * 1024 * 1024}")
        if (cpu := self._cpu_seconds()) is not None:
            args.append(f"--cpu={cpu}")
        if lim.max_processes is not None and per_user_processes:
            uid = self._sandbox_user()
            running = processes_of(os.getuid() if uid is None else uid)
            args.append(f"--nproc={running + lim.max_processes}")
        if (size := self.resources.file_size_bytes()) is not None:
            args.append(f"--fsize={size}")
        return [*args, "--"]

    def _limit_hint(self, signum: int) -> str:
        if signum == signal.SIGXCPU:
            return f" (the CPU time limit of {self._cpu_seconds()} s was reached)"
        if signum == signal.SIGXFSZ:
            return (f" (the file size limit was reached: {self.limits.file_size_mb} MB per file, "
                    "or the room left in the work dir)")
        if signum == signal.SIGKILL and self.limits.memory_mb is not None:
            return f" (possibly the memory limit of {self.limits.memory_mb} MB)"
        return ""

    def _run(self, argv: list[str], cancel: CancelToken | None) -> ProcessOutcome:
        work = str(self._work_dir)
        # `python` and `pip` in shell blocks mean the interpreter that runs python blocks
        bin_dirs = [os.path.dirname(self.python)]
        if self._bwrap is not None:
            argv = bw.bwrap_argv(
                self._bwrap, self._work_dir, argv, python=self.python,
                tmp_size_mb=self.limits.tmp_size_mb,
            )
            env = code_environment(home=work, path=bin_dirs)
        else:
            tmp = self._work_dir / SCRATCH_DIR / "tmp"
            tmp.mkdir(parents=True, exist_ok=True)
            self._give_work_dir()
            env = code_environment(home=work, path=bin_dirs, tmp=str(tmp))
            if self._setpriv is not None:
                argv = [self._setpriv, f"--reuid={bw.NOBODY}", f"--regid={bw.NOBODY}",
                        "--clear-groups", *argv]
        group = self.resources.cgroup()
        for attempt in (1, 2):
            prefix = group.join_prefix() if group is not None else []
            outcome = run_process(
                [*prefix, *self._rlimits(per_user_processes=group is None), *argv],
                cwd=work,
                env=env,
                timeout=self.timeout,
                keep_bytes=self.output_limit + 1,
                max_bytes=self.max_output_bytes,
                cancel=cancel,
                check=self.resources.check,
            )
            if group is None or not (outcome.returncode == JOIN_FAILED
                                     and outcome.output.strip() == JOIN_FAILED_MARK.encode()):
                break  # the code ran (in its group, or without one)
            if attempt == 2:  # the code never started: say why instead of an exit code
                raise CodeExecutionError(f"could not move the code into its cgroup ({group.dirs})")
            group = self.resources.renew_cgroup(group)  # e.g. removed by an administrator
        if group is not None:
            group.kill_all()  # nothing of this execution outlives it
            if group.new_oom_kills() and not outcome.note:
                outcome.note = (f"Stopped: the run's processes went over their memory limit of "
                                f"{self.limits.memory_mb} MB together (out of memory).")
        return outcome

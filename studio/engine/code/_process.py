"""Run one process with a deadline, an output cap and a cancel token; kill its whole group."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._control import CancelToken

_EOF_GRACE = 0.5  # after the process exits, how long a leftover child may hold the pipe open


@dataclass
class ProcessOutcome:
    returncode: int  # negative: killed by that signal
    output: bytes  # the first ``keep_bytes`` bytes of stdout+stderr
    total_bytes: int
    timed_out: bool = False
    overflowed: bool = False  # stopped because it printed more than ``max_bytes``
    cancelled: bool = False
    note: str = ""  # why the executor stopped it, when it knows (e.g. "out of memory")


def process_start(pid: int) -> str:
    """When ``pid`` started (clock ticks since boot), or "" when it does not exist: with the
    pid, it names one process even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _kill_group(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _has_exited(pid: int) -> bool:
    """True once ``pid`` has exited, without reaping it (so its group id stays ours)."""
    try:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return True
    return info is not None


def run_process(
    argv: Sequence[str],
    *,
    cwd: str,
    env: dict[str, str],
    timeout: float,
    keep_bytes: int,
    max_bytes: int,
    cancel: CancelToken | None = None,
    check: Callable[[], str | None] | None = None,
    check_every: float = 0.25,
) -> ProcessOutcome:
    """Run ``argv`` in a new session; stdout and stderr are merged, stdin is empty.

    On timeout, cancel or more than ``max_bytes`` of output the whole process group is killed.
    Leftover members of the group are killed when the leader exits. ``check`` is called every
    ``check_every`` seconds while it runs: a reason it returns stops the group (``note``).
    """
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    outcome = ProcessOutcome(returncode=0, output=b"", total_bytes=0)
    chunks: list[bytes] = []
    kept = 0

    def on_cancel() -> None:
        outcome.cancelled = True
        _kill_group(proc.pid)

    remove = cancel.on_cancel(on_cancel) if cancel is not None else (lambda: None)
    deadline = time.monotonic() + timeout
    next_check = time.monotonic() + check_every
    exited_at: float | None = None
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    try:
        while True:
            now = time.monotonic()
            if exited_at is None and _has_exited(proc.pid):
                exited_at = now
                _kill_group(proc.pid)  # background children must not outlive the run
            if exited_at is not None and now - exited_at > _EOF_GRACE:
                break  # an escaped child holds the pipe: stop reading
            if exited_at is None and now >= deadline and not outcome.timed_out:
                outcome.timed_out = True
                _kill_group(proc.pid)
            if check is not None and exited_at is None and now >= next_check and not outcome.note:
                next_check = now + check_every
                reason = check()
                if reason:
                    outcome.note = reason
                    _kill_group(proc.pid)
            wait = 0.05 if exited_at is None else max(0.0, _EOF_GRACE - (now - exited_at))
            if not selector.select(timeout=min(wait, max(0.0, deadline - now)) or 0.01):
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            outcome.total_bytes += len(data)
            if kept < keep_bytes:
                piece = data[: keep_bytes - kept]
                chunks.append(piece)
                kept += len(piece)
            if outcome.total_bytes > max_bytes and not outcome.overflowed:
                outcome.overflowed = True
                _kill_group(proc.pid)
    finally:
        selector.close()
        remove()
        if exited_at is None:
            _kill_group(proc.pid)
        outcome.returncode = proc.wait()
        proc.stdout.close()
    outcome.output = b"".join(chunks)
    return outcome

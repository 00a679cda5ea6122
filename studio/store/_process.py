"""Is that process still alive? Answered only where it can be proved (Linux ``/proc``).

A process is named by its pid *and* its start time (clock ticks after boot, field 22 of
``/proc/PID/stat``): a pid the kernel gave to a new process since is not the same process.
Pids are only comparable within one kernel boot and one pid namespace, so every record
also carries :func:`machine_id` (the boot id and the pid namespace); a process recorded on
another machine, another boot or in another container is never judged from here.
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return ""


def boot_id() -> str:
    """This kernel boot's random id ("" where /proc does not have it)."""
    return _read("/proc/sys/kernel/random/boot_id")


@lru_cache(maxsize=1)
def machine_id() -> str:
    """Where pids of this process can be compared: ``BOOT_ID/PID_NAMESPACE`` ("" when
    either is unknown: then no process is ever judged dead from here)."""
    boot = boot_id()
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return f"{boot}/{namespace}" if boot else ""


def start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot), None when it cannot be read."""
    stat = _read(f"/proc/{int(pid)}/stat")
    # "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses; the rest may not
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def process_identity() -> tuple[str, int, int]:
    """This process: (machine id, pid, start ticks; 0 when unknown)."""
    return machine_id(), os.getpid(), start_ticks(os.getpid()) or 0


def provably_dead(machine: str, pid: int, started: int) -> bool:
    """True only when process ``pid`` that started at ``started`` on ``machine`` is surely
    gone: same machine, boot and pid namespace as this process, and its pid is free or now
    belongs to a process that started at another time. Anything unknown means alive."""
    if not machine or machine != machine_id() or pid <= 0 or started <= 0:
        return False
    if pid == os.getpid():
        return start_ticks(pid) not in (None, started)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, under another user: compare its start time
        pass
    except OSError:
        return False
    now_started = start_ticks(pid)
    return now_started is not None and now_started != started


def process_owner() -> str:
    """Who is running a run, the way runs were marked before leases: ``host|boot id|pid``."""
    return f"{socket.gethostname()}|{boot_id()}|{os.getpid()}"


def owner_is_other_live_process(owner: str) -> bool:
    """For a run from before leases: True only if ``owner`` (see :func:`process_owner`)
    is another process still running on this machine."""
    parts = owner.split("|")
    if len(parts) != 3 or not parts[2].isdigit():
        return False
    host, boot, pid = parts[0], parts[1], int(parts[2])
    if host != socket.gethostname() or boot != boot_id() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

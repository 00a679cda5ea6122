"""A control group per run: one memory and process budget shared by all of the run's processes.

What works where (checked when the group is made; the reason is kept when it does not):

- cgroup v1 (the ``memory`` and ``pids`` hierarchies), as root: a group nested in the studio's
  own, so any limit the studio itself is under still applies.
- cgroup v2, as root or not, when the studio's own group delegates ``memory`` and ``pids`` to
  sub-groups (a systemd service or scope with ``Delegate=yes``, started in a leaf of its own).
- anything else (no cgroup file system, not root, no delegation): no group; the caller falls
  back to per-process limits and says so.

Processes join the group through a tiny ``sh`` prefix (``echo 0 > cgroup.procs``, then exec),
so everything they start is in it from the first instruction.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from ._process import process_start

_COUNTER = itertools.count(1)
PREFIX = "roundtable-"
# A failed join prints JOIN_FAILED_MARK (and nothing else) and exits 125, so the caller can
# tell it from code that exits 125 by itself.
JOIN_FAILED = 125
JOIN_FAILED_MARK = "rt-join: the run's cgroup is gone"
_JOIN = ('while [ "$1" != -- ]; do { echo 0 > "$1"; } 2>/dev/null || '
         f'{{ echo "{JOIN_FAILED_MARK}" >&2; exit {JOIN_FAILED}; }}; shift; done; shift; exec "$@"')


def _own_groups() -> dict[str, str]:
    """controller (or "" for v2) -> the path of this process's group in that hierarchy."""
    groups: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return groups
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            groups[name] = path
    return groups


def _mounts() -> dict[str, str]:
    """controller (or "" for v2) -> where that hierarchy is mounted."""
    found: dict[str, str] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or not extra:
            continue
        if fields[3] != "/":
            continue  # a bind of a sub-tree: paths in /proc/self/cgroup would not match
        if extra[0] == "cgroup2":
            found.setdefault("", fields[4])
        elif extra[0] == "cgroup" and len(extra) > 2:
            for option in extra[2].split(","):
                found.setdefault(option, fields[4])
    return found


def _write(path: Path, value: str) -> None:
    path.write_text(value, encoding="ascii")


def _remove_stale(parent: Path) -> None:
    """Remove groups left by studio processes that died (their processes died with them)."""
    try:
        entries = list(parent.iterdir())
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not name.startswith(PREFIX):
            continue
        pid, start, counter = (name[len(PREFIX):].split("-") + ["", "", ""])[:3]
        if not (pid.isdigit() and start.isdigit() and counter.isdigit()):
            continue  # not a name this version makes: never guess whose group it is
        if process_start(int(pid)) != start:
            with contextlib.suppress(OSError):
                entry.rmdir()


@dataclass
class Cgroup:
    """One group (a directory per v1 hierarchy, or one v2 directory) with its limits set."""

    version: int
    dirs: dict[str, Path]  # "memory"/"pids" (v1) or "" (v2) -> directory
    memory_bytes: int | None
    max_processes: int | None
    _oom_seen: int = field(default=0, repr=False)

    @property
    def description(self) -> str:
        return f"cgroup v{self.version}"

    def join_prefix(self) -> list[str]:
        """An argv prefix that moves the command into the group before it starts."""
        procs = [str(d / "cgroup.procs") for d in dict.fromkeys(self.dirs.values())]
        return ["/bin/sh", "-c", _JOIN, "rt-join", *procs, "--"]

    def oom_kills(self) -> int:
        """How many processes the kernel killed in this group for going over its memory."""
        memory = self.dirs.get("memory") or self.dirs.get("")
        if memory is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            text = (memory / name).read_text()
        except OSError:
            return 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def new_oom_kills(self) -> int:
        """OOM kills since the last call."""
        now = self.oom_kills()
        new, self._oom_seen = now - self._oom_seen, now
        return max(0, new)

    def pids(self) -> list[int]:
        found: set[int] = set()
        for directory in self.dirs.values():
            try:
                text = (directory / "cgroup.procs").read_text()
            except OSError:
                continue
            found.update(int(p) for p in text.split() if p.isdigit())
        return sorted(found)

    def kill_all(self, wait: float = 2.0) -> bool:
        """SIGKILL every process in the group (again, until none is left); True when empty."""
        deadline = time.monotonic() + wait
        while True:
            pids = self.pids()
            if not pids:
                return True
            if time.monotonic() > deadline:
                return False
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for directory in self.dirs.values():
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # a process still exiting
                    time.sleep(0.02)


def create(memory_bytes: int | None, max_processes: int | None) -> Cgroup | str:
    """A new group with these limits, or why none can be made here."""
    mounts, own = _mounts(), _own_groups()
    name = f"{PREFIX}{os.getpid()}-{process_start(os.getpid())}-{next(_COUNTER)}"
    if "memory" in mounts and "pids" in mounts:
        return _create_v1(name, mounts, own, memory_bytes, max_processes)
    if "" in mounts and "" in own:
        return _create_v2(name, Path(mounts[""]) / own[""].lstrip("/"), memory_bytes,
                          max_processes)
    return "there is no cgroup file system with memory and pids controllers here"


def _create_v1(name: str, mounts: dict[str, str], own: dict[str, str],
               memory_bytes: int | None, max_processes: int | None) -> Cgroup | str:
    if os.geteuid() != 0:
        return "cgroup v1 groups can only be made by root"
    dirs: dict[str, Path] = {}
    group = Cgroup(version=1, dirs=dirs, memory_bytes=memory_bytes, max_processes=max_processes)
    try:
        for controller in ("memory", "pids"):
            parent = Path(mounts[controller]) / own.get(controller, "/").lstrip("/")
            _remove_stale(parent)
            directory = parent / name
            directory.mkdir()
            dirs[controller] = directory
        if memory_bytes is not None:
            _write(dirs["memory"] / "memory.limit_in_bytes", str(memory_bytes))
            swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
            if swap.exists():
                _write(swap, str(memory_bytes))
        if max_processes is not None:
            _write(dirs["pids"] / "pids.max", str(max_processes))
    except OSError as exc:
        group.remove()
        return f"cannot make a cgroup v1 group: {exc}"
    group._oom_seen = group.oom_kills()
    return group


def _create_v2(name: str, own_dir: Path, memory_bytes: int | None,
               max_processes: int | None) -> Cgroup | str:
    try:
        delegated = set((own_dir / "cgroup.subtree_control").read_text().split())
    except OSError as exc:
        return f"cgroup v2: cannot read the studio's own group ({exc})"
    if not {"memory", "pids"} <= delegated:
        return ("cgroup v2: the studio's own group does not hand memory and pids to "
                "sub-groups (run it as a systemd service or scope with Delegate=yes)")
    _remove_stale(own_dir)
    directory = own_dir / name
    group = Cgroup(version=2, dirs={"": directory}, memory_bytes=memory_bytes,
                   max_processes=max_processes)
    try:
        directory.mkdir()
        if memory_bytes is not None:
            _write(directory / "memory.max", str(memory_bytes))
            with contextlib.suppress(OSError):
                _write(directory / "memory.swap.max", "0")
        if max_processes is not None:
            _write(directory / "pids.max", str(max_processes))
    except OSError as exc:
        group.remove()
        return f"cannot make a cgroup v2 group: {exc}"
    group._oom_seen = group.oom_kills()
    return group

"""A run's limits and what enforces them, shared by every executor working in the same work dir.

A team may have several agents that run code, each with its own executor, all in the run's one
work dir: they share one :class:`RunResources` (one cgroup, one disk limit), found by the work
dir, counted by reference and released when the last executor is cleaned up (or at exit).
"""

from __future__ import annotations

import atexit
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from . import _cgroup
from ._diskcap import DiskCap


@dataclass(frozen=True)
class Limits:
    """Resource limits of a run's code (``None``: not limited).

    ``memory_mb``, ``max_processes`` and ``disk_mb`` hold for all of the run's processes
    together where this machine allows it (a cgroup; a file system of the work dir's own).
    Where it does not, a weaker form applies and the executor says which, in its
    ``limits_report`` and its ``sandbox_warning``. ``memory_mb`` also caps each process's
    address space, and ``file_size_mb`` each file.
    """

    memory_mb: int | None = 512
    cpu_seconds: int | None = None  # per process; default: the executor's timeout, plus one
    max_processes: int | None = 128
    file_size_mb: int | None = 100
    disk_mb: int | None = 512
    tmp_size_mb: int = 64  # the private /tmp (and /dev/shm) of the bubblewrap sandbox


def processes_of(uid: int) -> int:
    """How many processes ``uid`` has now (the per-user process limit counts them all)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                continue
    return count


class RunResources:
    """The cgroup (made when first needed) and the disk limit of one work dir."""

    def __init__(self, work_dir: Path, limits: Limits, owner: int | None,
                 outer: RunResources | None = None, inner: bool = False) -> None:
        self.work_dir = work_dir
        self.limits = limits
        self.owner = owner
        # A work dir inside another one counts against that one's disk limit; one that holds
        # another's cannot become a file system of its own (it would hide the inner one).
        self.disk: DiskCap | None = None
        self._owns_disk = outer is None or outer.disk is None
        if outer is not None and not self._owns_disk:
            self.disk = outer.disk
        elif limits.disk_mb:
            self.disk = DiskCap(work_dir, limits.disk_mb, owner, no_mount_because=(
                "it holds the work dir of another run" if inner else None))
        self._group: _cgroup.Cgroup | None = None
        self._group_problem: str | None = None
        self._lock = threading.Lock()

    def cgroup(self) -> _cgroup.Cgroup | None:
        """The run's control group, made on first use; None (see :meth:`cgroup_problem`)."""
        lim = self.limits
        if lim.memory_mb is None and lim.max_processes is None:
            return None
        with self._lock:
            if self._group is None and self._group_problem is None:
                made = _cgroup.create(
                    None if lim.memory_mb is None else lim.memory_mb * 1024 * 1024,
                    lim.max_processes)
                if isinstance(made, str):
                    self._group_problem = made
                else:
                    self._group = made
            return self._group

    def renew_cgroup(self, gone: _cgroup.Cgroup) -> _cgroup.Cgroup | None:
        """A new group in place of ``gone``, whose directory something else removed."""
        with self._lock:
            if self._group is gone:
                self._group = None
                gone.remove()
        return self.cgroup()

    @property
    def cgroup_problem(self) -> str | None:
        return self._group_problem

    def file_size_bytes(self) -> int | None:
        """RLIMIT_FSIZE for the next execution: the file limit, or less when the work dir is
        only watched and has less room left."""
        sizes = []
        if self.limits.file_size_mb is not None:
            sizes.append(self.limits.file_size_mb * 1024 * 1024)
        if self.disk is not None and self.disk.mode == "watched":
            sizes.append(self.disk.remaining_bytes())
        return min(sizes) if sizes else None

    def check(self) -> str | None:
        """While code runs: why it must stop now (the watched disk limit), else None."""
        return self.disk.check() if self.disk is not None else None

    def close(self) -> None:
        with self._lock:
            if self._group is not None:
                self._group.remove()
                self._group = None
        if self.disk is not None and self._owns_disk:
            self.disk.close()


_shared: dict[Path, list] = {}  # work dir -> [RunResources, number of executors using it]
_shared_lock = threading.Lock()


def acquire(work_dir: Path, limits: Limits, owner: int | None) -> RunResources:
    """The resources of ``work_dir``: the existing ones (then ``limits`` are those of the first
    executor) or new ones."""
    with _shared_lock:
        entry = _shared.get(work_dir)
        if entry is not None:
            entry[1] += 1
            return entry[0]
        outer = next((entry[0] for path, entry in _shared.items() if path in work_dir.parents),
                     None)
        inner = any(work_dir in path.parents for path in _shared)
        resources = RunResources(work_dir, limits, owner, outer=outer, inner=inner)
        _shared[work_dir] = [resources, 1]
        return resources


def release(resources: RunResources) -> None:
    """One executor is done with ``resources``; the last one closes them."""
    with _shared_lock:
        entry = _shared.get(resources.work_dir)
        if entry is None or entry[0] is not resources:
            return
        entry[1] -= 1
        if entry[1] > 0:
            return
        del _shared[resources.work_dir]
    resources.close()


@atexit.register
def _close_all() -> None:
    with _shared_lock:
        left = [entry[0] for entry in _shared.values()]
        _shared.clear()
    for resources in reversed(left):  # inner work dirs were made after the outer ones
        resources.close()

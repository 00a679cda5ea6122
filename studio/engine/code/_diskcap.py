"""A size limit for a run's work dir, shared by every process and container of the run.

- As root, where loop devices and ``mkfs.ext4`` exist: the work dir becomes a file system of
  its own (a sparse image file beside it, loop-mounted over it). Writing past the limit fails
  with "No space left on device", whatever writes, in the sandbox or a container. When the
  run ends, the files are copied back into the plain folder and the image is deleted.
  The image's name says which studio process made it: should that process die without
  cleaning up (killed), the next one to make a work dir file system puts the files of the
  orphan back into its plain folder and unmounts it (:func:`recover_orphans`).
- Elsewhere: the work dir is measured while code runs (every :data:`WATCH_EVERY` seconds) and
  the code is stopped once it is over the limit; one file can never be larger than what is
  left (``RLIMIT_FSIZE``). A fast writer can overshoot by what it writes between two checks:
  the description says so.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from ._process import process_start

WATCH_EVERY = 0.25
_IMAGE = re.compile(r"/\.[^/]+\.rt(?P<pid>\d+)-(?P<start>\d+)\.disk(?: \(deleted\))?$")
_MAX_ENTRIES = 50_000
_FS_OVERHEAD = 1.08  # ext4 without journal or reserve keeps ~6% for itself


def used_bytes(root: Path) -> int:
    """Disk space the files under ``root`` take (allocated blocks, not apparent sizes)."""
    total, seen = 0, 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            seen += 1
            if seen > _MAX_ENTRIES:
                return total
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


def _run(*argv: str) -> str | None:
    """None when the command succeeded, else what it said."""
    try:
        done = subprocess.run(list(argv), capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    return (done.stderr or done.stdout).strip() or f"{argv[0]} exited with {done.returncode}"


class DiskCap:
    """The limit on one work dir: ``mode`` is "filesystem" or "watched" (then ``reason``)."""

    def __init__(self, work_dir: Path, limit_mb: int, owner: int | None, *,
                 no_mount_because: str | None = None) -> None:
        self.work_dir = work_dir
        self.limit_mb = limit_mb
        self.limit_bytes = limit_mb * 1024 * 1024
        self.owner = owner
        owner_tag = f"rt{os.getpid()}-{process_start(os.getpid()) or 0}"
        self.image = work_dir.parent / f".{work_dir.name}.{owner_tag}.disk"
        self.mode = "watched"
        self.reason = ""
        self.close_problem: str | None = None
        self._mounted = False
        problem = no_mount_because or self._mount()
        if problem is not None:
            self.reason = problem
        else:
            self.mode = "filesystem"

    @property
    def description(self) -> str:
        if self.mode == "filesystem":
            return f"{self.limit_mb} MB for the work dir (a file system of its own)"
        return (f"{self.limit_mb} MB for the work dir, measured every {WATCH_EVERY:g} s while code "
                f"runs (a fast writer can overshoot until the next check; {self.reason})")

    # -- the file system ---------------------------------------------------------------------
    def _mount(self) -> str | None:
        if os.geteuid() != 0:
            return "a file system of its own needs root"
        missing = [tool for tool in ("mount", "umount", "mkfs.ext4") if shutil.which(tool) is None]
        if missing:
            return f"{', '.join(missing)} not found"
        if not os.path.exists("/dev/loop-control"):
            return "no loop devices here"
        recover_orphans()
        size = int(self.limit_bytes * _FS_OVERHEAD) + 4 * 1024 * 1024
        try:
            with open(self.image, "wb") as fh:
                fh.truncate(size)
        except OSError as exc:
            return f"cannot create {self.image}: {exc}"
        owner = self.owner if self.owner is not None else os.getuid()
        problem = _run("mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal",
                       "-E", f"root_owner={owner}:{owner}", str(self.image))
        if problem is None:
            problem = self._mount_keeping_files()
        if problem is not None:
            self.image.unlink(missing_ok=True)
            return f"cannot give the work dir a file system of its own: {problem}"
        self._mounted = True
        shutil.rmtree(self.work_dir / "lost+found", ignore_errors=True)
        return None

    def _mount_keeping_files(self) -> str | None:
        """Mount the image over the work dir; files already there move into it."""
        entries = list(self.work_dir.iterdir())
        if not entries:
            return _run("mount", "-o", "loop,nosuid,nodev,noatime", str(self.image), str(self.work_dir))
        staging = self.work_dir.parent / f".{self.work_dir.name}.moving"
        staging.mkdir()
        for entry in entries:
            entry.rename(staging / entry.name)
        problem = _run("mount", "-o", "loop,nosuid,nodev,noatime", str(self.image), str(self.work_dir))
        try:
            if problem is None:
                _copy_entries(staging, self.work_dir)
        except OSError as exc:
            _run("umount", "-l", str(self.work_dir))
            problem = f"the work dir already holds more than {self.limit_mb} MB ({exc})"
        if problem is not None:  # back as it was (the plain folder is empty again)
            for entry in list(staging.iterdir()):
                entry.rename(self.work_dir / entry.name)
        shutil.rmtree(staging, ignore_errors=True)
        return problem

    def close(self) -> None:
        """Put the files back in the plain folder and drop the file system (once). Should the
        copy fail, the file system stays mounted where it is: nothing is lost."""
        if not self._mounted:
            return
        self._mounted = False
        problem = _unmount_keeping_files(self.work_dir, self.image)
        if problem is not None:
            self.close_problem = f"the files stay on {self.image}, mounted: {problem}"

    # -- the watcher -------------------------------------------------------------------------
    def remaining_bytes(self) -> int:
        return max(0, self.limit_bytes - used_bytes(self.work_dir))

    def check(self) -> str | None:
        """Why the code must stop now (watched mode only), else None."""
        if self.mode != "watched" or used_bytes(self.work_dir) <= self.limit_bytes:
            return None
        return (f"Stopped: the work dir went over its disk limit of {self.limit_mb} MB "
                "(files written by the code count together).")


def _copy_entries(source: Path, target: Path) -> None:
    for entry in source.iterdir():
        destination = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, destination, symlinks=True, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, destination, follow_symlinks=False)
        with contextlib.suppress(OSError):
            st = os.lstat(entry)
            os.lchown(destination, st.st_uid, st.st_gid)


def _unmount_keeping_files(work_dir: Path, image: Path) -> str | None:
    """Copy the files out of the mounted work dir, unmount it, put them in the plain folder
    and delete the image; None when done, else why not (then it stays mounted)."""
    staging = work_dir.parent / f".{work_dir.name}.closing"
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        _copy_entries(work_dir, staging)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        return str(exc)
    if _run("umount", str(work_dir)) is not None:
        _run("umount", "-l", str(work_dir))
    for entry in list(staging.iterdir()):
        entry.rename(work_dir / entry.name)
    staging.rmdir()
    image.unlink(missing_ok=True)
    return None


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def recover_orphans() -> list[Path]:
    """Work dir file systems whose studio process died (killed): their files go back into
    the plain folder and the mount goes. Returns the work dirs recovered."""
    recovered: list[Path] = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return recovered
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, extra = left.split(), right.split()
        if len(fields) < 5 or len(extra) < 2 or not extra[1].startswith("/dev/loop"):
            continue
        try:
            backing = Path(f"/sys/block/{extra[1][5:]}/loop/backing_file").read_text().strip()
        except OSError:
            continue
        match = _IMAGE.search(backing)
        if match is None:
            continue
        if process_start(int(match["pid"])) == match["start"]:
            continue  # its studio process is alive: it is in use
        work_dir = Path(_unescape(fields[4]))
        image = Path(backing.removesuffix(" (deleted)"))
        if _unmount_keeping_files(work_dir, image) is None:
            recovered.append(work_dir)
    return recovered

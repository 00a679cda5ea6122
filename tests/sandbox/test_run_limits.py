"""A run's memory, process and disk limits hold for all of its processes together, in bubblewrap
and in containers (several processes each staying under the limit cannot add up past it), and
the executor says how each limit is enforced on this machine."""

from __future__ import annotations

import json
import os

import pytest

from studio.engine.code import CodeBlock, DockerExecutor, LocalExecutor
from studio.engine.code._diskcap import used_bytes

from .conftest import HOSTILE_LIMITS
from .test_hostile_code import run_marked

pytestmark = pytest.mark.sandbox

MB = 1024 * 1024


def _enforced_for_the_run(executor, what: str) -> None:
    """Skip (saying why) where this machine cannot hold ``what`` for a whole run; the executor
    must then say so itself."""
    report = executor.limits_report
    if isinstance(executor, DockerExecutor) or "for the run" in report.get(what, "") \
            or "all of the run's" in report.get(what, "") or "of its own" in report.get(what, ""):
        return
    assert executor.sandbox_warning and "limits:" in executor.sandbox_warning
    pytest.skip(f"{what} cannot be limited per run here: {report.get(what)}")


def test_memory_of_several_processes_adds_up(hostile):
    """Four children of 100 MB each fit a per-process limit but not 256 MB together."""
    code = (
        "import os, time, sys\n"
        "kids = []\n"
        "for i in range(4):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try:\n"
        "            block = bytearray(100 * 1024 * 1024)\n"
        "            for j in range(0, len(block), 4096):\n"
        "                block[j] = 1\n"
        "            open(f'held-{i}', 'w').close()\n"
        "            time.sleep(1.5)\n"
        "            os._exit(0)\n"
        "        except MemoryError:\n"
        "            os._exit(3)\n"
        "    kids.append(pid)\n"
        "codes = [os.waitpid(pid, 0)[1] for pid in kids]\n"
        "print('STATUS', codes, sorted(n for n in os.listdir('.') if n.startswith('held-')))\n"
    )
    result, _ = run_marked(hostile, code)
    _enforced_for_the_run(hostile, "memory")
    status = next(line for line in result.output.splitlines() if line.startswith("STATUS"))
    codes = json.loads(status.split(" ", 1)[1].split("] ")[0] + "]")
    survivors = [c for c in codes if c == 0]
    assert len(survivors) < 4, result.output  # 400 MB never lived at once under 256 MB
    assert len(survivors) * 100 <= HOSTILE_LIMITS.memory_mb, result.output
    assert any(c != 0 for c in codes)
    if not isinstance(hostile, DockerExecutor):
        assert "memory limit of 256 MB together" in result.output, result.output


def test_processes_of_several_parents_add_up(hostile):
    """Four workers each try to start 30 sleepers: 120 > 64 for the run, fewer than 64 live."""
    code = (
        "import subprocess, sys, time\n"
        "worker = '''\n"
        "import subprocess, sys, time\n"
        "started = []\n"
        "for _ in range(30):\n"
        "    try:\n"
        "        started.append(subprocess.Popen(['sleep', '3']))\n"
        "    except OSError:\n"
        "        break\n"
        "print(len(started), flush=True)\n"
        "time.sleep(1.5)\n"
        "'''\n"
        "workers = []\n"
        "for _ in range(4):\n"
        "    try:\n"
        "        workers.append(subprocess.Popen([sys.executable, '-c', worker],\n"
        "                                        stdout=subprocess.PIPE, text=True))\n"
        "    except OSError as exc:\n"
        "        print('worker refused', exc)\n"
        "counts = [int(w.communicate()[0].strip() or 0) for w in workers]\n"
        "print('STARTED', sum(counts), counts)\n"
    )
    result, _ = run_marked(hostile, code)
    _enforced_for_the_run(hostile, "processes")
    line = next(line for line in result.output.splitlines() if line.startswith("STARTED"))
    started = int(line.split()[1])
    assert 0 < started < HOSTILE_LIMITS.max_processes, result.output


def test_disk_written_by_several_processes_adds_up(hostile):
    """Three writers of 30 MB each (files of 5 MB, under the 10 MB file limit): 90 MB > 64 MB."""
    writer = (
        "import os, sys\n"
        "n = sys.argv[1]\n"
        "for i in range(6):\n"
        "    try:\n"
        "        with open(f'w{n}-{i}.bin', 'wb') as fh:\n"
        "            fh.write(os.urandom(5 * 1024 * 1024))\n"
        "    except OSError as exc:\n"
        "        print('refused', n, i, exc, flush=True)\n"
        "        break\n"
    )
    code = (
        "import subprocess, sys\n"
        f"writers = [subprocess.Popen([sys.executable, '-c', {writer!r}, str(n)]) for n in range(3)]\n"
        "print('EXIT', [w.wait() for w in writers])\n"
    )
    result, _ = run_marked(hostile, code)
    _enforced_for_the_run(hostile, "disk")
    used = used_bytes(hostile.work_dir)
    assert used <= (HOSTILE_LIMITS.disk_mb + 2) * MB, (used, result.output)
    assert "No space left on device" in result.output, result.output


def test_the_report_says_what_enforces_each_limit(hostile):
    hostile.execute([CodeBlock("print(1)", "python")])
    report = hostile.limits_report
    assert set(report) == {"memory", "processes", "disk", "file size"}
    if os.geteuid() == 0 and isinstance(hostile, DockerExecutor):
        assert "of its own" in report["disk"]
    for text in report.values():
        assert "MB" in text or "for the" in text


@pytest.mark.skipif(os.geteuid() != 0, reason="a work dir file system of its own needs root")
def test_a_killed_studio_loses_no_files_and_leaves_no_mount(tmp_path, bwrap_ready):
    """The process holding a run's work dir file system is killed (-9): the next one to make
    such a file system puts the files back in the plain folder and removes the mount."""
    import signal
    import subprocess
    import sys
    from pathlib import Path

    from studio.engine.code import LocalExecutor
    from tests.support.processes import wait_for

    work = tmp_path / "runs" / "killed"
    script = (
        "import sys, time\n"
        "from studio.engine.code import CodeBlock, LocalExecutor\n"
        f"ex = LocalExecutor(sandbox='bubblewrap', work_dir={str(work)!r})\n"
        "r = ex.execute([CodeBlock(\"open('kept.txt', 'w').write('made before the crash')\", "
        "'python')])\n"
        "print('READY', r.exit_code, ex.limits_report['disk'], flush=True)\n"
        "time.sleep(600)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = holder.stdout.readline()
        assert line.startswith("READY 0") and "of its own" in line, line
        mounts = Path("/proc/self/mounts")
        assert str(work) in mounts.read_text()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert str(work) in mounts.read_text()  # nobody cleaned up after the killed process
    other = LocalExecutor(sandbox="bubblewrap", work_dir=tmp_path / "runs" / "next")
    try:
        other.execute([CodeBlock("print(1)", "python")])  # makes a file system: recovers
        assert wait_for(lambda: str(work) not in mounts.read_text(), 5)
        assert (work / "kept.txt").read_text() == "made before the crash"
        assert not [p for p in work.parent.iterdir() if p.name.startswith(".killed.")]
    finally:
        other.cleanup()


def test_a_removed_run_group_is_made_again(bwrap_ready, tmp_path):
    # Something else (an administrator's clean-up, another version of the studio) may remove
    # the run's cgroup between two executions: the next one makes a new group and still runs
    # under the run's limits, instead of failing with the shell's "cannot create" message.
    executor = LocalExecutor(sandbox="bubblewrap", work_dir=tmp_path / "work")
    try:
        first = executor.execute([CodeBlock("print('one')", "python")])
        group = executor.resources.cgroup()
        if group is None:
            pytest.skip(f"no cgroup on this machine: {executor.resources.cgroup_problem}")
        assert first.exit_code == 0 and "one" in first.output
        for directory in group.dirs.values():
            directory.rmdir()  # empty between executions, so the kernel lets us
        second = executor.execute([CodeBlock("print('two')", "python")])
        assert second.exit_code == 0 and second.output.strip() == "two", second.output
        renewed = executor.resources.cgroup()
        assert renewed is not None and renewed is not group
        assert all(d.is_dir() for d in renewed.dirs.values())
    finally:
        executor.cleanup()


def test_code_that_exits_125_is_not_taken_for_a_failed_join(bwrap_ready, tmp_path):
    executor = LocalExecutor(sandbox="bubblewrap", work_dir=tmp_path / "work")
    try:
        result = executor.execute([CodeBlock("import sys\nsys.exit(125)", "python")])
        assert result.exit_code == 125
    finally:
        executor.cleanup()

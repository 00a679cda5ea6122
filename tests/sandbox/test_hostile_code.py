"""Hostile code in both sandboxes: each is stopped or denied, says why, and leaves nothing behind."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest

from studio.engine.code import CodeBlock, CodeResult, DockerExecutor, LocalExecutor
from tests.support.processes import processes_with, wait_for

from .conftest import HOSTILE_TIMEOUT

pytestmark = pytest.mark.sandbox


def run_marked(executor, code: str, language: str = "python") -> tuple[CodeResult, str]:
    """Run ``code`` tagged with a unique marker; afterwards no process may carry the marker."""
    marker = f"rt-marker-{uuid.uuid4().hex}"
    tagged = f"# {marker}\n{code}" if language == "python" else f": {marker}\n{code}"
    result = executor.execute([CodeBlock(tagged, language)])
    assert wait_for(lambda: not processes_with(marker), 5), f"left behind: {processes_with(marker)}"
    return result, marker


def test_infinite_loop_is_stopped(hostile):
    hostile.timeout = HOSTILE_TIMEOUT
    started = time.monotonic()
    result, _ = run_marked(hostile, "while True:\n    pass\n")
    assert time.monotonic() - started < HOSTILE_TIMEOUT + 5
    assert result.exit_code == 124 and result.timed_out
    assert "timed out" in result.output


def test_fork_bomb_is_contained(hostile):
    hostile.timeout = HOSTILE_TIMEOUT  # refused forks leave it looping: the timeout ends it
    code = (
        "import os, time\n"
        "failed = False\n"
        "while True:\n"
        "    try:\n"
        "        os.fork()\n"
        "    except OSError as exc:\n"
        "        if not failed:\n"
        "            print('fork refused:', exc, flush=True)\n"
        "            failed = True\n"
        "        time.sleep(0.05)\n"
    )
    result, _ = run_marked(hostile, code)
    assert result.exit_code != 0
    assert "timed out" in result.output or "fork refused" in result.output
    assert "Resource temporarily unavailable" in result.output  # the process limit held
    pid = os.fork()  # the host can still start processes
    if pid == 0:
        os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0


def test_memory_hog_is_stopped(hostile):
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n"
    result, _ = run_marked(hostile, code)
    assert result.exit_code != 0
    assert "MemoryError" in result.output or "memory limit" in result.output, result.output


def test_one_gigabyte_print_is_cut_short(hostile):
    started = time.monotonic()
    code = "import sys\nblock = 'x' * (1024 * 1024)\nfor _ in range(1024):\n    sys.stdout.write(block)\n"
    result, _ = run_marked(hostile, code)
    assert time.monotonic() - started < HOSTILE_TIMEOUT + 5
    assert result.exit_code != 0
    assert "printed more than" in result.output
    assert len(result.output) < hostile.output_limit + 500


@pytest.fixture
def canaries(tmp_path: Path):
    """A fake key in a home-like dir and a file in a temp dir, both outside the work dir."""
    home_dir = Path.home() / f".roundtable-canary-{uuid.uuid4().hex[:8]}"
    home_dir.mkdir(mode=0o700)
    key = home_dir / "id_rsa"
    key.write_text("FAKE-PRIVATE-KEY-" + uuid.uuid4().hex)
    key.chmod(0o600)
    other = tmp_path / "outside.txt"
    other.write_text("host data " + uuid.uuid4().hex)
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (key, other)}
    yield key, other
    try:
        for path, digest in digests.items():
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} changed"
    finally:
        key.unlink()
        home_dir.rmdir()


def test_home_secrets_are_unreadable(hostile, canaries):
    key, other = canaries
    code = (
        "import os, glob\n"
        "print('ssh dir:', glob.glob(os.path.expanduser('~/.ssh/*')) + glob.glob('/root/.ssh/*'))\n"
        f"for path in [{str(key)!r}, {str(other)!r}]:\n"
        "    for mode in ('r', 'a'):\n"
        "        try:\n"
        "            with open(path, mode) as fh:\n"
        "                print('OPENED', path, mode, fh.read() if mode == 'r' else fh.write('x'))\n"
        "        except OSError as exc:\n"
        "            print('BLOCKED', type(exc).__name__, exc)\n"
    )
    result, _ = run_marked(hostile, code)
    assert result.exit_code == 0, result.output
    assert "OPENED" not in result.output
    assert "FAKE-PRIVATE-KEY" not in result.output
    assert "ssh dir: []" in result.output
    assert result.output.count("BLOCKED") == 4


def test_socket_to_the_host_is_refused(hostile):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    accepted: list[object] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        code = (
            "import socket\n"
            f"socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')\n"
            "print('CONNECTED')\n"
        )
        result, _ = run_marked(hostile, code)
    finally:
        stop.set()
        thread.join(2)
        listener.close()
    assert result.exit_code != 0
    assert "CONNECTED" not in result.output
    assert any(
        reason in result.output
        for reason in ("Connection refused", "Network is unreachable", "timed out")
    ), result.output
    assert accepted == []


def test_host_environment_stays_out(hostile, monkeypatch):
    secrets = {
        "OPENAI_API_KEY": "sk-canary-openai", "AZURE_OPENAI_API_KEY": "canary-azure",
        "ANTHROPIC_API_KEY": "canary-anthropic", "GITHUB_TOKEN": "canary-gh-token",
        "DB_PASSWORD": "canary-db-password", "SERVICE_SECRET": "canary-service-secret",
        "SLACK_WEBHOOK": "https://hooks.example/canary", "DB_URL": "postgresql://canary@db/x",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    result, _ = run_marked(
        hostile, "import os\nfor k, v in sorted(os.environ.items()):\n    print(f'{k}={v}')\n"
    )
    assert result.exit_code == 0 and "PATH=" in result.output
    for name, value in secrets.items():
        assert name not in result.output and value not in result.output


def test_sandbox_is_reported(hostile):
    result, _ = run_marked(hostile, "import os\nprint(os.getuid())\n")
    expected = "docker" if isinstance(hostile, DockerExecutor) else "bubblewrap"
    assert result.sandbox == expected and result.exit_code == 0
    if os.geteuid() == 0:
        assert result.output.strip() == "65534"  # never root, even when the studio is
    assert isinstance(hostile, LocalExecutor | DockerExecutor)

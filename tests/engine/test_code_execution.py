"""Code execution (ENGINE_BEHAVIOUR.md cases 16-23): extraction, formatting, the local executor."""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
import zipfile
from pathlib import Path

import pytest

from studio.engine._control import Cancelled, CancelToken
from studio.engine.code import (
    CodeBlock,
    CodeExecutionError,
    CodeExecutor,
    CodeResult,
    FileInfo,
    LocalExecutor,
    NoExecutor,
    code_environment,
    extract_code_blocks,
    format_code_result,
)
from tests.support.processes import processes_with
from tests.support.processes import wait_for as _wait_for


@pytest.fixture(params=["subprocess", "bubblewrap"])
def executor(request, tmp_path: Path):
    if request.param == "bubblewrap":
        if shutil.which("bwrap") is None:
            pytest.fail("bubblewrap is not installed: run `bash scripts/setup_sandbox.sh` as root")
        ex = LocalExecutor(sandbox="bubblewrap", timeout=10, work_dir=tmp_path / "work")
    else:
        ex = LocalExecutor(
            sandbox="none", allow_unsandboxed=True, timeout=10, work_dir=tmp_path / "work"
        )
    assert ex.sandbox == request.param
    return ex


def run(ex: LocalExecutor, text: str, **kwargs) -> CodeResult:
    return ex.execute(extract_code_blocks(text), **kwargs)


# -- extraction and formatting --------------------------------------------------------------
def test_extract_normalises_languages_and_skips_prose():
    text = (
        "Try this:\n```py\nprint(1)\n```\nthen\n```Python3\nprint(2)\n```\n"
        "```shell\necho a\n```\n```sh\necho b\n```\n```console\n$ echo c\n```\n"
        "Expected output:\n```\n1 2 a b: done\n```\n"
    )
    blocks = extract_code_blocks(text)
    assert [b.language for b in blocks] == ["python", "python", "bash", "sh", "bash"]
    assert blocks[0].code == "print(1)"
    assert blocks[4].code == "echo c"


def test_format_code_result_shape():
    ok = CodeResult(exit_code=0, output="2\n", files=(FileInfo("a.png", 2048),))
    assert format_code_result(ok) == (
        "exitcode: 0 (execution succeeded)\nCode output: 2\n\nFiles: a.png (2.0 KB)"
    )
    assert format_code_result(CodeResult(exit_code=1, output="boom")).startswith(
        "exitcode: 1 (execution failed)\nCode output: boom"
    )


def test_executors_satisfy_the_protocol(tmp_path: Path):
    assert isinstance(NoExecutor(), CodeExecutor)
    ex = LocalExecutor(sandbox="none", allow_unsandboxed=True, work_dir=tmp_path)
    assert isinstance(ex, CodeExecutor) and ex.name == "local"


def test_none_executor_refuses_clearly():
    result = NoExecutor().execute([CodeBlock("print(1)", "python")])
    assert result.exit_code == 1 and "turned off" in result.output and result.sandbox == "none"


def test_unsandboxed_needs_permission(tmp_path: Path):
    ex = LocalExecutor(sandbox="none", work_dir=tmp_path)
    with pytest.raises(CodeExecutionError, match="allow unsandboxed execution in Settings"):
        ex.execute([CodeBlock("print(1)", "python")])


# -- numbered cases -------------------------------------------------------------------------
def test_case_16_print_succeeds(executor: LocalExecutor):
    result = run(executor, "```python\nprint(1+1)\n```")
    assert result.exit_code == 0
    assert format_code_result(result).startswith("exitcode: 0 (execution succeeded)\nCode output: 2")


def test_case_17_raising_block_stops_the_run(executor: LocalExecutor):
    result = run(
        executor,
        "```python\nraise ValueError('bad value')\n```\n```python\nopen('later', 'w')\n```",
    )
    assert result.exit_code == 1
    assert format_code_result(result).startswith("exitcode: 1 (execution failed)")
    assert "Traceback" in result.output and "ValueError: bad value" in result.output
    assert not (executor.work_dir / "later").exists()


def test_case_18_sh_then_python_in_order(executor: LocalExecutor):
    result = run(executor, "```sh\necho one > order.txt\necho first\n```\n"
                           "```python\nprint(open('order.txt').read().strip() + ' then second')\n```")
    assert result.exit_code == 0
    assert result.output.index("first") < result.output.index("one then second")


def test_case_19_unknown_language(executor: LocalExecutor):
    result = run(executor, "```rust\nfn main() {}\n```")
    assert result.exit_code == 1
    assert "unknown language rust" in result.output


def _tiny_wheel(folder: Path) -> str:
    """A pure-Python wheel holding ``case20_pkg`` (so pip installs offline); its file name."""
    name = "case20_pkg-1.0-py3-none-any.whl"
    info = "case20_pkg-1.0.dist-info"
    with zipfile.ZipFile(folder / name, "w") as wheel:
        wheel.writestr("case20_pkg.py", "ANSWER = 42\n")
        wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: case20-pkg\nVersion: 1.0\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: tests\n"
                                         "Root-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return name


def test_case_20_untagged_blocks(executor: LocalExecutor):
    executor.work_dir.mkdir(parents=True, exist_ok=True)
    wheel = _tiny_wheel(executor.work_dir)
    text = (f"Install it:\n```\npip install --no-index --no-deps --no-cache-dir --target site {wheel}\n```\n"
            "then use it:\n```\nimport sys\nsys.path.insert(0, 'site')\nimport case20_pkg\n"
            "print(case20_pkg.ANSWER)\n```\nExpected output:\n```\nThe answer: 42\n```")
    blocks = extract_code_blocks(text)
    assert [b.language for b in blocks] == ["bash", "python"]  # the sample output is not code
    result = executor.execute(blocks)
    assert result.exit_code == 0, result.output
    assert "Successfully installed case20-pkg-1.0" in result.output  # pip ran, from the shell
    assert result.output.rstrip().endswith("42")  # the untagged Python ran as Python


def test_case_21_filename_persists(executor: LocalExecutor):
    result = run(executor, "```python\n# filename: a.py\nprint('from a')\n```")
    assert result.exit_code == 0 and "from a" in result.output
    saved = executor.work_dir / "a.py"
    assert saved.read_text().endswith("print('from a')")
    assert "a.py" in [f.name for f in result.files]
    again = run(executor, "```sh\npython3 a.py || python a.py\n```")
    assert "from a" in again.output


def test_case_21_filename_outside_the_work_dir_is_refused(executor: LocalExecutor, tmp_path):
    result = run(executor, "```python\n# filename: ../escape.py\nprint(1)\n```")
    assert result.exit_code == 1 and "inside the work dir" in result.output
    assert not (tmp_path / "escape.py").exists()


def test_case_22_timeout_kills_process_and_children(executor: LocalExecutor):
    executor.timeout = 1
    marker = f"{random.randint(500, 9000)}.{random.randint(10**5, 10**6)}"
    code = (
        "import subprocess, time\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        "while True:\n    time.sleep(0.01)\n"
    )
    started = time.monotonic()
    result = executor.execute([CodeBlock(code, "python")])
    assert time.monotonic() - started < 5
    assert result.exit_code == 124 and result.timed_out
    assert "timed out" in result.output and "1 s" in result.output
    assert _wait_for(lambda: not processes_with(marker), 3), processes_with(marker)


def test_case_23_no_code_nothing_runs(executor: LocalExecutor):
    assert extract_code_blocks("All done, no code this time. TERMINATE") == []
    counter = "```python\nimport pathlib\np = pathlib.Path('n')\np.write_text(str(int(p.read_text()) + 1) if p.exists() else '1')\n```"
    run(executor, counter)
    empty = executor.execute([])
    assert empty.exit_code == 0 and empty.files == ()
    assert (executor.work_dir / "n").read_text() == "1"


# -- the rest of the contract ---------------------------------------------------------------
def test_output_over_the_cap_is_truncated(tmp_path: Path):
    ex = LocalExecutor(sandbox="none", allow_unsandboxed=True, output_limit=500, work_dir=tmp_path)
    result = ex.execute([CodeBlock("print('y' * 5000)", "python")])
    assert result.exit_code == 0
    assert "output truncated" in result.output and len(result.output) < 700


def test_files_created_or_changed_are_listed(executor: LocalExecutor):
    (executor.work_dir / "old.txt").write_text("old")
    (executor.work_dir / "same.txt").write_text("same")
    if executor.sandbox == "bubblewrap" and os.geteuid() == 0:
        os.chown(executor.work_dir / "old.txt", 65534, 65534)
    result = run(executor, "```python\nopen('old.txt','a').write('er')\n"
                           "import os; os.makedirs('sub', exist_ok=True); open('sub/new.bin','wb').write(b'x'*10)\n```")
    assert result.exit_code == 0, result.output
    assert {(f.name, f.size) for f in result.files} == {("old.txt", 5), ("sub/new.bin", 10)}


def test_only_allowed_variables_reach_the_code(executor: LocalExecutor, monkeypatch):
    """An allow-list: innocent names (SLACK_WEBHOOK, DB_URL) stay out as surely as API keys."""
    host = {
        "OPENAI_API_KEY": "sk-test-123", "AZURE_OPENAI_ENDPOINT": "https://x", "GITHUB_TOKEN": "",
        "MY_SECRET": "", "DB_PASSWORD": "", "aws_secret_access_key": "", "SOME_CREDENTIALS": "",
        "SLACK_WEBHOOK": "https://hooks.example/canary", "DB_URL": "postgresql://u:pw@db/canary",
        "ROUNDTABLE_DATA_DIR": "/srv/canary-data", "HARMLESS_SETTING": "",
    }
    host = {name: value or f"canary-{name.lower()}-value" for name, value in host.items()}
    for name, value in host.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    result = run(executor, "```python\nimport os\nfor k, v in os.environ.items(): print(f'{k}={v}')\n```")
    seen = dict(line.split("=", 1) for line in result.output.splitlines() if "=" in line)
    for name, value in host.items():
        assert name not in seen and value not in result.output
    assert seen["LANG"] == "C.UTF-8" and seen["HOME"] == str(executor.work_dir)
    assert seen["PATH"].split(":")[-3:] == ["/usr/local/bin", "/usr/bin", "/bin"]
    allowed = set(code_environment(home="", host=dict(os.environ)))
    assert set(seen) <= allowed | {"PWD", "SHLVL", "_"}  # the shell's own


def test_cancel_kills_at_once_and_raises(executor: LocalExecutor):
    executor.timeout = 30
    marker = f"{random.randint(500, 9000)}.{random.randint(10**5, 10**6)}"
    code = (
        "import subprocess, time\n"
        f"subprocess.Popen(['sleep', '{marker}'])\n"
        "open('started', 'w').close()\n"
        "while True:\n    time.sleep(0.01)\n"
    )
    token = CancelToken()
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            executor.execute([CodeBlock(code, "python")], cancel=token)
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertion
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    assert _wait_for(lambda: (executor.work_dir / "started").exists(), 10)
    cancelled_at = time.monotonic()
    token.set()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - cancelled_at < 2
    assert isinstance(outcome.get("error"), Cancelled)
    assert _wait_for(lambda: not processes_with(marker), 3)


def test_work_dir_is_kept_until_cleanup():
    ex = LocalExecutor(sandbox="none", allow_unsandboxed=True)
    result = ex.execute([CodeBlock("# filename: keep.py\nprint('kept')", "python")])
    assert result.exit_code == 0 and (ex.work_dir / "keep.py").exists()
    ex.cleanup()
    assert not ex.work_dir.exists()


def test_code_that_cannot_run_after_approval_goes_back_to_the_agents(tmp_path: Path):
    """No sandbox and no permission to run without one: the approved code fails like any other
    execution, the writer reads why, and the chat goes on (it used to end the whole run)."""
    from studio.engine import (
        CodeDecision,
        ConversableAgent,
        HumanInput,
        RunControl,
        ScriptedHuman,
        ScriptedModel,
        StopReason,
        events,
    )

    seen: list[events.Event] = []
    writer = ScriptedModel(["```python\nprint('hi')\n```", "Then I will answer in words. TERMINATE"])
    coder = ConversableAgent("coder", human_input=HumanInput.NEVER, model=writer)
    runner = ConversableAgent(
        "runner", human_input=HumanInput.NEVER, approve_code=True,
        code_executor=LocalExecutor(sandbox="none", work_dir=tmp_path),  # refuses: not allowed
    )
    human = ScriptedHuman([CodeDecision.approve()])
    result = runner.initiate_chat(coder, "go", control=RunControl(human=human, on_event=seen.append))
    assert result.stop_reason == StopReason.TERMINATION and result.error in (None, "")
    reply = result.history[2]
    assert reply.name == "runner" and reply.meta["kind"] == "code_result"
    assert reply.content.startswith("exitcode: 1 (execution failed)\nCode output: The code could not run:")
    assert "allow unsandboxed execution in Settings" in reply.content
    assert "allow unsandboxed execution in Settings" in writer.requests[1].messages[-1].content
    executed = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert len(executed) == 1 and executed[0].exit_code == 1
    assert any(isinstance(e, events.Warning) and "could not run" in e.text for e in seen)
    assert not any(isinstance(e, events.Error) for e in seen)

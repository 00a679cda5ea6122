"""Exported Python scripts: they pass ruff, run on their own, and print exactly what
`roundtable run` prints (text and --json), exiting non-zero with the reason on failure."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from studio.cli import main as roundtable
from studio.spec import bundled_template_names, load_bundled_template, load_template
from studio.spec._files import import_file
from studio.spec._script_export import export_script
from tests.support.oai_server import OAIServer, error

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def run_script(source: str, tmp_path: Path, *args: str, as_json: bool = False
               ) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "team.py"
    script.write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ROUNDTABLE_TRANSCRIPT_JSON"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["ROUNDTABLE_WORK_DIR"] = str(tmp_path / "work")
    (tmp_path / "work").mkdir(exist_ok=True)
    flags = ["--json"] if as_json else []
    return subprocess.run([sys.executable, str(script), *args, *flags], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)


def run_cli(template: str, data_dir: Path, *, as_json: bool = False) -> str:
    """What `roundtable run TEMPLATE --model demo --human never` prints (in this process)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = roundtable(["run", template, "--model", "demo", "--human", "never",
                           "--data-dir", str(data_dir), *(["--json"] if as_json else [])])
    assert code == 0
    return out.getvalue()


def events(text: str) -> list[dict[str, Any]]:
    """JSON event lines with their clock readings (time, duration) masked."""
    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<clock>" if k in ("time", "duration") else mask(v)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        return value

    return [mask(json.loads(line)) for line in text.splitlines()]


def assert_prints_like_roundtable_run(spec_or_name, tmp_path: Path) -> str:
    if isinstance(spec_or_name, str):
        spec, template = load_bundled_template(spec_or_name), spec_or_name
    else:
        spec, template = spec_or_name, str(tmp_path / "template.json")
        Path(template).write_text(json.dumps(spec.to_dict()))
    source = export_script(spec)
    text = run_script(source, tmp_path)
    assert text.returncode == 0, text.stderr
    assert text.stdout == run_cli(template, tmp_path / "a")
    as_json = run_script(source, tmp_path, as_json=True)
    assert as_json.returncode == 0, as_json.stderr
    assert events(as_json.stdout) == events(run_cli(template, tmp_path / "b", as_json=True))
    return text.stdout


@pytest.mark.parametrize("name", bundled_template_names())
def test_export_prints_what_roundtable_run_prints(name, tmp_path):
    out = assert_prints_like_roundtable_run(name, tmp_path)
    assert "=== finished: " in out


def test_every_export_passes_ruff(tmp_path):
    """With ruff's own defaults and with this project's rules (100-character lines)."""
    ruff_bin = subprocess.run([sys.executable, "-m", "ruff", "--version"], capture_output=True)
    assert ruff_bin.returncode == 0, "ruff is part of the dev extra"
    for name in bundled_template_names():
        (tmp_path / f"{name}.py").write_text(export_script(load_bundled_template(name)))
    spec = import_file((FIXTURES / "autogen04_team.json").read_bytes(), "team.json").spec
    (tmp_path / "imported_autogen_team.py").write_text(export_script(spec))
    (tmp_path / "clashing_tools.py").write_text(export_script(load_template(_clash_doc())))
    ruff = [sys.executable, "-m", "ruff", "check", "--isolated", "--no-cache",
            "--output-format", "concise"]
    for rules in ([], ["--select", "E,F,W,I,B,UP", "--line-length", "100",
                       "--target-version", "py311"]):
        # from the scripts' own folder, where `studio` is an installed package, as for users
        proc = subprocess.run([*ruff, *rules, "."], cwd=tmp_path, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_failed_run_says_why_and_exits_non_zero(tmp_path):
    """The script with a real model (as its comment says how) that refuses the request."""
    source = export_script(load_bundled_template("code_assistant"))
    with OAIServer() as server:
        server.push(error(401, "Incorrect API key provided", code="invalid_api_key",
                          err_type="authentication_error"))
        real = (f"from studio.engine.models import OpenAIChatModel\n"
                f"MODEL = OpenAIChatModel('test-model', base_url={server.base_url!r}, "
                "api_key='sk-wrong', max_retries=0)")
        demo = "MODEL = DemoModel(scripts=DEMO_SCRIPTS, task_formats=TASK_FORMATS)"
        assert demo in source
        proc = run_script(source.replace(demo, real),
                          tmp_path)
    assert proc.returncode == 1
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("team.py: run failed: ") and "API key" in line, line
    assert "\n=== failed: error ===\nError: " in proc.stdout
    assert "Traceback" not in proc.stderr


def test_script_reads_like_a_program():
    source = export_script(load_bundled_template("research_write_review"))
    assert source.startswith('"""Research, write, review')
    assert "def search_notes(query: str, max_results: int = 2) -> str:" in source  # inlined
    assert "from studio.engine import (" in source and "studio.spec" not in source
    assert "MODEL = DemoModel(scripts=DEMO_SCRIPTS, task_formats=TASK_FORMATS)" in source
    assert "#   MODEL = OpenAIChatModel('gpt-4o-mini', api_key_env='OPENAI_API_KEY')" in source
    assert "    researcher = AssistantAgent(" in source
    assert source.rstrip().endswith("if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))")
    assert "initiate_chats([" in source and "carryover=" in source


def test_script_takes_a_task(tmp_path):
    source = export_script(load_bundled_template("code_assistant"))
    proc = run_script(source, tmp_path, "Count to three.", as_json=True)
    assert proc.returncode == 0, proc.stderr
    first = json.loads(proc.stdout.splitlines()[0])
    assert first["type"] == "run_started" and first["task"] == "Count to three."


def test_group_script_wires_the_graph():
    source = export_script(load_bundled_template("planning_group"))
    assert "allowed_transitions=graph" in source
    assert "planner: [coder]," in source
    assert "GroupChatManager(chat, name='chat_manager', model=MODEL)" in source


def test_imported_autogen_team_exports_and_runs(tmp_path):
    spec = import_file((FIXTURES / "autogen04_team.json").read_bytes(), "team.json").spec
    source = export_script(spec)
    assert "def calculator(a: float, b: float, operator: str) -> str:" in source
    assert "is_termination=Termination('contains', 'TERMINATE')" in source
    assert "sk-test-SECRET123" not in source
    assert_prints_like_roundtable_run(spec, tmp_path)


_CLASHING = """
def _norm(text):
    return text.strip().{method}()


def {name}(text: str) -> str:
    \"\"\"{doc}

    Args:
        text: The text.
    \"\"\"
    return _norm(text)
"""


def _clash_doc() -> dict[str, Any]:
    return {
        "format": 1, "name": "Clash", "models": {"main": "demo"},
        "tools": [
            {"name": "shout", "source": _CLASHING.format(method="upper", name="shout",
                                                         doc="Upper-case the text.")},
            {"name": "whisper", "source": _CLASHING.format(method="lower", name="whisper",
                                                           doc="Lower-case the text.")},
        ],
        "agents": [
            {"name": "user", "kind": "user_proxy", "human_input": "never",
             "execute_tools": ["shout", "whisper"]},
            {"name": "helper", "kind": "assistant", "model": "main",
             "tools": ["shout", "whisper"], "termination": {"max_turns": 3}},
        ],
        "pattern": {"kind": "two_agent", "starter": "user",
                    "edges": [{"source": "user", "target": "helper"}], "max_turns": 6},
        "sample_tasks": ["Say Hello."],
        "demo_script": [
            {"agent": "helper", "tool_calls": [{"name": "shout", "arguments": {"text": " Hi "}}]},
            {"agent": "helper", "tool_calls": [{"name": "whisper",
                                                "arguments": {"text": " BYE "}}]},
            {"agent": "helper", "content": "Done."},
            {"agent": "helper", "content": "Never said: the limit stops me first."},
        ],
        "layout": {"user": {"x": 0, "y": 0}, "helper": {"x": 300, "y": 0}},
    }


def test_clashing_tool_helpers_and_reply_limits(tmp_path):
    """Two inline tools define the same helper name; an agent has a max_turns limit."""
    spec = load_template(_clash_doc())
    source = export_script(spec)
    assert "def _whisper_tool():" in source or "def _shout_tool():" in source  # kept apart
    assert "limit_replies(helper, max_messages=None, max_turns=3)" in source
    out = assert_prints_like_roundtable_run(spec, tmp_path)
    assert "[tool returned] shout: HI" in out and "[tool returned] whisper: bye" in out
    assert "Never said" not in out

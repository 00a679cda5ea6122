"""Exported Python scripts run on their own and say exactly what build_team says."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from studio.engine import RunControl
from studio.engine.models import DemoModel
from studio.spec import bundled_template_names, load_bundled_template, load_template
from studio.spec._files import import_file
from studio.spec._script_export import export_script
from studio.spec.build import build_team

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def reference(spec, tmp_path: Path, task: str | None = None) -> list[tuple[Any, Any]]:
    """The transcript of the same template built by build_team on the Demo model."""
    team = build_team(spec, work_dir=tmp_path / "ref",
                      model_override=DemoModel(**spec.demo_options()))
    result = team.run(task, control=RunControl())
    return [(m.name, m.content) for m in result.messages]


def run_script(source: str, tmp_path: Path, *args: str, as_json: bool = True
               ) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "team.py"
    script.write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ROUNDTABLE_TRANSCRIPT_JSON"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["ROUNDTABLE_WORK_DIR"] = str(tmp_path / "work")
    (tmp_path / "work").mkdir(exist_ok=True)
    if as_json:
        env["ROUNDTABLE_TRANSCRIPT_JSON"] = "1"
    return subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)


def transcript(proc: subprocess.CompletedProcess[str]) -> list[tuple[Any, Any]]:
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return [(r["sender"], r["content"]) for r in rows]


@pytest.mark.parametrize("name", bundled_template_names())
def test_exported_script_gives_the_same_transcript(name, tmp_path):
    spec = load_bundled_template(name)
    source = export_script(spec)
    ast.parse(source)
    expected = reference(spec, tmp_path)
    assert len(expected) >= 2
    assert transcript(run_script(source, tmp_path)) == expected


def test_script_reads_like_a_program(tmp_path):
    source = export_script(load_bundled_template("research_write_review"))
    assert source.startswith("#!/usr/bin/env python3\n\"\"\"Research, write, review")
    assert "def search_notes(query: str, max_results: int = 2) -> str:" in source  # inlined
    assert "from studio.engine import (" in source and "studio.spec" not in source
    assert "MODEL = DemoModel(scripts=DEMO_SCRIPTS, task_formats=TASK_FORMATS)" in source
    assert "#   MODEL = OpenAIChatModel('gpt-4o-mini', api_key_env='OPENAI_API_KEY')" in source
    assert "researcher = AssistantAgent(" in source
    assert source.rstrip().endswith("if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))")
    assert "initiate_chats([" in source and "carryover=" in source


def test_script_prints_a_readable_transcript_and_takes_a_task(tmp_path):
    source = export_script(load_bundled_template("code_assistant"))
    proc = run_script(source, tmp_path, as_json=False)
    assert proc.returncode == 0, proc.stderr
    assert "user -> assistant:" in proc.stdout and "exitcode: 0" in proc.stdout
    assert "-- stopped: termination message" in proc.stdout
    own = transcript(run_script(source, tmp_path, "--json", "Count to three."))
    assert own[0] == ("user", "Count to three.")


def test_group_script_wires_the_graph(tmp_path):
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
    assert transcript(run_script(source, tmp_path)) == reference(spec, tmp_path)


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


def test_clashing_tool_helpers_and_reply_limits(tmp_path):
    """Two inline tools define the same helper name; an agent has a max_turns limit."""
    doc = {
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
    spec = load_template(doc)
    source = export_script(spec)
    assert "_whisper_ns" in source or "_shout_ns" in source  # one kept in its own namespace
    assert "limit_replies(helper, max_messages=None, max_turns=3)" in source
    got = transcript(run_script(source, tmp_path))
    assert got == reference(spec, tmp_path)
    assert ("shout", "HI") in got and ("whisper", "bye") in got
    assert ("helper", "Never said: the limit stops me first.") not in got

"""The Settings switch 'allow unsandboxed code' reaches the executor of a run; where bubblewrap is
missing, code is refused with what to do unless the switch is on, and then a warning says so."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from studio.engine import RunControl, ScriptedHuman, events
from studio.runs import ALLOW_UNSANDBOXED
from studio.spec import build_team, load_bundled_template
from studio.store import Actor

LOCAL = Actor.local()


@pytest.fixture
def no_bwrap(monkeypatch, tmp_path):
    """A PATH on which bwrap cannot be found (everything else still is)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for entry in Path(directory).glob("*") if Path(directory).is_dir() else []:
            target = bin_dir / entry.name
            if entry.name != "bwrap" and not target.exists():
                target.symlink_to(entry)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert shutil.which("bwrap") is None


def _run(tmp_path, allow: bool):
    spec = load_bundled_template("code_assistant")
    seen: list[events.Event] = []
    team = build_team(spec, work_dir=tmp_path / "work", human_input_override="never",
                      allow_unsandboxed=allow)
    result = team.run(spec.sample_tasks[0], RunControl(on_event=seen.append, human=ScriptedHuman([])))
    return result, seen


def test_missing_bubblewrap_refuses_code_unless_allowed(no_bwrap, tmp_path):
    result, seen = _run(tmp_path, allow=False)
    # refused like a failed execution: the agents read why, the run goes on
    refused = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert refused and all(e.exit_code == 1 and e.sandbox == "none" for e in refused)
    assert "bubblewrap" in refused[0].output and "Settings" in refused[0].output
    warnings = [e.text for e in seen if isinstance(e, events.Warning)]
    assert any("could not run" in w and "bubblewrap" in w for w in warnings)
    assert not any(isinstance(e, events.Error) for e in seen) and result.stop_reason != "error"

    result, seen = _run(tmp_path / "second", allow=True)
    executed = [e for e in seen if isinstance(e, events.CodeExecuted)]
    assert executed and executed[0].sandbox == "subprocess" and executed[0].exit_code == 0
    warnings = [e.text for e in seen if isinstance(e, events.Warning)]
    assert any("UNSANDBOXED" in w for w in warnings)


def test_the_setting_reaches_runs(no_bwrap, make_manager, store):
    manager = make_manager()
    store.set_setting(LOCAL, ALLOW_UNSANDBOXED, True)
    handle = manager.get(LOCAL, manager.start(LOCAL, load_bundled_template("code_assistant").to_dict(),
                                       "go", template_name="code_assistant", human="never"))
    assert handle.wait(60)
    kinds = [e["type"] for e in handle.events_since(0)]
    assert "code_executed" in kinds and handle.status == "finished"

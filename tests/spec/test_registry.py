"""The registry: bundled components load through the same door as user additions."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studio.engine.code import LocalExecutor
from studio.spec import Registry, RegistryError, ToolSourceError
from studio.spec._resources import bundled_dir

MODEL_PRESETS = {"demo", "local", "openai", "azure", "ollama", "lmstudio", "vllm", "llamacpp",
                 "roundtable"}
AGENT_PRESETS = {"assistant", "user_proxy", "coder", "critic", "planner", "tool_user", "writer",
                 "researcher"}


def test_bundled_components(registry):
    assert MODEL_PRESETS <= set(registry.models)
    assert AGENT_PRESETS <= set(registry.agent_presets)
    assert {"calculator", "current_time", "word_count", "search_notes"} <= set(registry.tools)
    assert registry.models["demo"].label == "Demo model (offline)"
    assert registry.models["ollama"].base_url == "http://localhost:11434/v1"
    assert registry.models["openai"].api_key_env == "OPENAI_API_KEY"
    assert all(t.origin == "bundled" for t in registry.tools.values())


@pytest.mark.parametrize("name", sorted(AGENT_PRESETS))
def test_agent_presets_make_valid_agents(registry, name):
    agent = registry.agent_from_preset(name, f"my_{name}")
    assert agent.name == f"my_{name}" and agent.description
    for tool in agent.tools:
        assert tool in registry.tools


def test_bundled_tools_have_schemas_and_run(registry):
    schemas = {name: t.tool().schema for name, t in registry.tools.items()}
    calc = schemas["calculator"]["function"]
    assert calc["parameters"]["required"] == ["expression"]
    assert calc["parameters"]["properties"]["expression"]["description"]
    assert registry.tool("calculator").tool().invoke(json.dumps({"expression": "(2+3)*4"})) == ("20", False)
    content, is_error = registry.tool("calculator").tool().invoke('{"expression": "__import__(1)"}')
    assert is_error and "only numbers" in content
    assert registry.tool("unit_convert").function()(1, "mi", "km") == "1 mi = 1.6093 km"
    assert registry.tool("word_count").function()("One two. Three!").startswith("3 words, 2 sentences")
    assert "## Heat pumps" in registry.tool("search_notes").function()("heat pump", 1)
    stamp, weekday = registry.tool("current_time").function()(-5).split(" (")
    moment = datetime.fromisoformat(stamp)
    assert moment.utcoffset() == timedelta(hours=-5)
    assert weekday == WEEKDAYS[moment.weekday()] + ")"


WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@pytest.mark.parametrize("day", range(7))
def test_current_time_names_every_weekday_in_english(registry, day):
    # Any day of the week, any locale: the ISO part and the weekday come from one moment.
    describe = registry.tool("current_time").function().__globals__["describe_time"]
    moment = datetime(2026, 11, 30, 23, 59, 59, 999, tzinfo=UTC) + timedelta(days=day)
    assert describe(moment) == f"{moment.date().isoformat()}T23:59:59+00:00 ({WEEKDAYS[day]})"


def test_add_tool_is_the_same_door(registry, tmp_path):
    own = Registry.bundled()
    source = ('def shout(text: str) -> str:\n    """Shout the text.\n\n    Args:\n'
              '        text: What to shout.\n    """\n    return text.upper() + "!"\n')
    added = own.add_tool("shout", source)
    assert added.origin == "user" and added.description == "Shout the text."
    sandbox = LocalExecutor(sandbox="bubblewrap", work_dir=tmp_path)
    assert own.tool("shout").tool(sandbox).invoke('{"text": "hi"}') == ("HI!", False)
    with pytest.raises(ValueError, match="runs only in the code sandbox"):
        own.tool("shout").tool()  # a user's tool never runs in the studio's process
    assert "shout" not in registry.tools  # registries are independent


@pytest.mark.parametrize(("name", "source", "message"), [
    ("bad name", "def f(): pass", "letters, digits"),
    ("f", "def f(:", "does not parse"),
    ("f", "def g():\n    'doc'\n", "function named 'f'"),
    ("f", "def f():\n    pass\n", "needs a docstring"),
])
def test_add_tool_errors_say_what_to_fix(name, source, message):
    with pytest.raises(RegistryError, match=message):
        Registry().add_tool(name, source)


def test_a_users_tool_source_is_not_run_when_added(tmp_path):
    marker = tmp_path / "ran"
    source = f"open({str(marker)!r}, 'w').close()\ndef f():\n    'Doc.'\n    return 1\n"
    assert Registry().add_tool("f", source).description == "Doc."
    assert not marker.exists()
    # a bundled one is read when added too, and loaded when a team uses it
    bundled = Registry().add_tool("f", "raise RuntimeError('boom')\ndef f():\n    'doc'\n",
                                  origin="bundled")
    assert bundled.description == "doc"
    with pytest.raises(ToolSourceError, match="RuntimeError: boom"):
        bundled.function()


def test_undocumented_parameter_is_rejected_when_made_a_tool(tmp_path):
    own = Registry()
    own.add_tool("f", "def f(x: int) -> int:\n    'Double.'\n    return 2 * x\n")
    with pytest.raises(ValueError, match="parameter 'x' has no description"):
        own.tool("f").tool(LocalExecutor(sandbox="bubblewrap", work_dir=tmp_path))


def test_add_model_from_a_preset(registry):
    own = Registry.bundled()
    model = own.add_model("my-ollama", {"preset": "ollama", "model": "qwen2.5:7b"})
    assert model.base_url == "http://localhost:11434/v1" and model.model == "qwen2.5:7b"
    assert model.origin == "user"
    with pytest.raises(RegistryError, match="unknown model 'nope'"):
        own.add_model("x", {"preset": "nope"})
    with pytest.raises(RegistryError, match="model 'y'"):
        own.add_model("y", {"provider": "martian"})


def test_load_components_from_a_user_folder(tmp_path: Path):
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "echo.py").write_text(
        'def echo(text: str) -> str:\n    """Echo.\n\n    Args:\n        text: Text.\n    """\n'
        "    return text\n")
    (tmp_path / "models.yaml").write_text("team-llm: {preset: vllm, model: m}\n")
    (tmp_path / "agents.yaml").write_text("poet: {label: Poet, agent: {system_message: Rhyme.}}\n")
    own = Registry.bundled()
    own.load_components(tmp_path)
    assert own.tools["echo"].origin == "user"
    assert own.models["team-llm"].base_url == "http://localhost:8000/v1"
    assert own.agent_from_preset("poet", "p").system_message == "Rhyme."
    (tmp_path / "agents.yaml").write_text("bad: {agent: {kind: robot}}\n")
    with pytest.raises(RegistryError, match="agent preset 'bad'"):
        own.load_components(tmp_path)


def test_bundled_folders_are_packages():
    for kind in ("components", "templates"):
        root = Path(str(bundled_dir(kind)))
        assert (root / "__init__.py").is_file()
    assert (Path(str(bundled_dir("components"))) / "tools" / "__init__.py").is_file()


def test_spec_imports_only_the_engine():
    code = ("import sys, studio.spec, studio.spec.build; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'streamlit' or "
            "m.startswith(('studio.store', 'studio.runs', 'studio.app', 'studio.cli'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr

"""The `roundtable` command, run for real as `python -m studio ...`."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from studio.spec import bundled_template_names, dump_yaml, load_bundled_template
from studio.store import Actor, Store
from tests.support.oai_server import OAIServer, error

from .conftest import ROOT, cli_command, cli_env

LOCAL = Actor.local()

HEADER = re.compile(r"^\s*([A-Za-z0-9_-]+) -> ([A-Za-z0-9_-]+):", re.MULTILINE)


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"errors are one line, got: {result.stderr!r}"
    assert lines[0].startswith("roundtable: ")
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.mark.parametrize("args", [
    [], ["ui"], ["run"], ["templates"], ["templates", "list"], ["db"], ["db", "backup"],
    ["db", "restore"],
])
def test_help_of_each_command(roundtable, args):
    result = roundtable(*args, "--help", storage=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: roundtable")
    if args == ["run"]:
        for option in ("--task", "--model", "--human", "--json", "--data-dir", "--db-url"):
            assert option in result.stdout


@pytest.mark.parametrize("name", bundled_template_names())
def test_each_bundled_template_runs_on_the_demo_model(roundtable, data_dir, name):
    spec = load_bundled_template(name)
    result = roundtable("run", name, "--model", "demo", "--human", "never")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"Task: {spec.default_task}")
    assert "=== finished: " in out
    headers = HEADER.findall(out)
    assert headers, "the transcript shows who speaks to whom"
    speakers = {sender for sender, _ in headers}
    assert speakers <= set(spec.agent_names) | {"chat_manager"}
    store = Store.open(data_dir=data_dir)
    (run,) = store.list_runs(LOCAL)
    assert run.status == "finished" and run.template_name == spec.name


def test_code_output_is_folded_into_one_line(roundtable):
    result = roundtable("run", "code_assistant", "--human", "never")
    assert result.returncode == 0, result.stderr
    folded = [line for line in result.stdout.splitlines() if "[code 0 (execution succeeded)]" in line]
    assert len(folded) == 1 and folded[0].startswith("user -> assistant:")
    assert "exitcode:" not in result.stdout


def test_json_lines_parse_and_stream_tokens(roundtable):
    result = roundtable("run", "human_in_the_loop", "--human", "never", "--json",
                        "--demo-delay", "0.0001", "--task", "Write a haiku about tea.")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "run_started" and events[0]["task"] == "Write a haiku about tea."
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "finished"
    assert any(e["type"] == "token" for e in events)
    assert any(e["type"] == "message" and e["sender"] == "assistant" for e in events)


def test_unknown_template_names_close_matches(roundtable):
    result = roundtable("run", "human_loop", "--human", "never")
    assert result.returncode == 1
    assert_one_line_error(result, "unknown template 'human_loop'", "human_in_the_loop")
    assert result.stdout == ""


def test_unknown_model_is_one_line(roundtable):
    result = roundtable("run", "code_assistant", "--model", "nope", "--human", "never")
    assert_one_line_error(result, "unknown model 'nope'")


def test_invalid_template_file_lists_its_problems_with_their_lines(roundtable, tmp_path):
    """A file's problems: the file first, then a line per problem, in the order of the
    file's lines, each saying the line it is on and the field."""
    text = dump_yaml(load_bundled_template("writer_with_critic"))
    text = text.replace("\n  kind: two_agent\n", "\n  kind: circle\n")
    text = text.replace("\n  max_turns: 1\n", "\n  max_turn: 1\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    rows = text.split("\n")
    kind_line = rows.index("  kind: circle") + 1
    typo_line = rows.index("  max_turn: 1") + 1
    result = roundtable("run", str(bad), "--task", "x", "--human", "never")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"roundtable: error: {bad} is not a valid template:",
        f"  line {kind_line}: pattern.kind: should be 'two_agent', 'sequence' or 'group' "
        "(got 'circle')",
        f"  line {typo_line}: pattern.max_turn: unknown field 'max_turn'; did you mean "
        "'max_turns'?",
    ]


def test_a_typo_hides_no_other_problem_and_an_unknown_model_says_where_models_come_from(
        roundtable, tmp_path):
    text = dump_yaml(load_bundled_template("writer_with_critic"))
    text = text.replace("\nagents:\n", "\nagnets:\n")
    text = text.replace("  model: main\npattern:", "  model: gpt5\npattern:")
    text = text.replace("  starter: user\n", "  starter: nobody\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    rows = text.split("\n")
    result = roundtable("templates", "import", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[:3] == [
        f"roundtable: {bad} cannot be imported; nothing was stored:",
        f"  line {rows.index('agnets:') + 1}: agnets: unknown field 'agnets'; did you mean "
        "'agents'?",
        f"  line {rows.index('  model: gpt5') + 1}: agnets[2].model: unknown model 'gpt5'; "
        "models you can choose: main, demo, local, openai, azure, ollama, lmstudio, vllm, "
        "llamacpp, roundtable",
    ]
    assert lines[3].endswith("pattern.starter: unknown agent 'nobody'")
    assert lines[-1] == ("  A model is one of the template's own (its models: section), a "
                         "built-in one, or one added on the studio's Models page: start the "
                         "studio with `roundtable ui` and add it there.")


def test_a_yaml_syntax_error_shows_its_line_with_a_caret(roundtable, tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("format: 1\nname: Broken\nagents:\n- name: critic: strict\n  kind: assistant\n")
    result = roundtable("run", str(bad), "--human", "never")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"roundtable: error: {bad} is not a valid template:",
        "  line 4, column 15: not valid YAML: mapping values are not allowed here (a value "
        "that holds ': ' needs quotes around it)",
        "      3 | agents:",
        "      4 | - name: critic: strict",
        "        |               ^",  # under the second ':'
    ]


def test_template_from_a_file_and_from_the_store(roundtable, data_dir, tmp_path):
    spec = load_bundled_template("tool_helper")
    path = tmp_path / "mine.yaml"
    path.write_text(dump_yaml(spec.model_copy(update={"name": "My helper"})))
    result = roundtable("run", str(path), "--human", "never")
    assert result.returncode == 0, result.stderr
    store = Store.open(data_dir=data_dir)
    assert [r.template_name for r in store.list_runs(LOCAL)] == ["My helper"]
    document = load_bundled_template("code_assistant").to_dict()
    store.save_template(LOCAL, "Prime finder", {**document, "name": "Prime finder"},
                        description="Counts primes with real code.")
    listing = roundtable("templates", "list")
    assert listing.returncode == 0, listing.stderr
    rows = {line.split("  ")[0].strip(): line for line in listing.stdout.splitlines()[1:]}
    for name in bundled_template_names():
        assert "bundled" in rows[name]
    assert "stored" in rows["Prime finder"] and "two_agent" in rows["Prime finder"]
    assert "Counts primes" in rows["Prime finder"]
    result = roundtable("run", "Prime finder", "--human", "never")
    assert result.returncode == 0, result.stderr
    assert "[code 0 (execution succeeded)] primes: [2, 3, 5, 7" in result.stdout


def test_console_human_answers_from_stdin(roundtable, data_dir):
    result = roundtable("run", "human_in_the_loop", "--human", "console",
                        "--task", "Draft a short note.", input="Make it friendlier.\nexit\n")
    assert result.returncode == 0, result.stderr
    assert "you -> assistant:\nMake it friendlier." in result.stdout
    assert "=== finished: human exit ===" in result.stdout
    store = Store.open(data_dir=data_dir)
    (run,) = store.list_runs(LOCAL)
    answers = [e.data["text"] for e in store.run_events(LOCAL, run.id) if e.kind == "human_input_received"]
    assert answers == ["Make it friendlier.", "exit"]


def _approving_code_assistant(tmp_path: Path) -> Path:
    document = load_bundled_template("code_assistant").to_dict()
    document["agents"][0]["code_execution"]["approve"] = True
    path = tmp_path / "approve.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("reason", ["ok", "run"])
def test_console_code_approval_a_refusal_reason_never_approves(roundtable, data_dir, tmp_path,
                                                               reason):
    path = _approving_code_assistant(tmp_path)
    result = roundtable("run", str(path), "--human", "console", input=f"n\n{reason}\n\n")
    assert result.returncode == 0, result.stderr
    assert "Run this code? [y]es, [n]o (refuse), [e]dit:" in result.stdout
    assert f"The user refused to run the code. Reason: {reason}" in result.stdout
    assert "execution succeeded" not in result.stdout
    store = Store.open(data_dir=data_dir)
    (run,) = store.list_runs(LOCAL)
    decisions = [e.data["decision"] for e in store.run_events(LOCAL, run.id)
                 if e.kind == "human_input_received" and e.data["kind"] == "code_approval"]
    assert decisions == [{"action": "refuse", "reason": reason, "code": ""}]
    assert not any(e.kind == "code_executed" for e in store.run_events(LOCAL, run.id))


def test_console_code_approval_approve_and_edit(roundtable, tmp_path):
    path = _approving_code_assistant(tmp_path)
    result = roundtable("run", str(path), "--human", "console", input="y\n\n")
    assert result.returncode == 0, result.stderr
    assert "[code 0 (execution succeeded)] primes: [2, 3, 5, 7" in result.stdout
    result = roundtable("run", str(path), "--human", "console",
                        input="e\nprint('edited', 6 * 7)\n.\n\n")
    assert result.returncode == 0, result.stderr
    assert "[code 0 (execution succeeded)] edited 42" in result.stdout
    assert "[code 0 (execution succeeded)] primes:" not in result.stdout


def test_model_failure_exits_non_zero_with_the_model_error(roundtable, tmp_path):
    with OAIServer() as server:
        server.push(error(401, "Incorrect API key provided", code="invalid_api_key"))
        template = {
            "format": 1, "name": "remote",
            "models": {"main": {"provider": "openai_compatible", "base_url": server.base_url,
                                "model": "test-model"}},
            "agents": [{"name": "user", "kind": "user_proxy", "human_input": "never"},
                       {"name": "assistant", "model": "main"}],
            "pattern": {"kind": "two_agent", "starter": "user",
                        "edges": [{"source": "user", "target": "assistant"}]},
        }
        path = tmp_path / "remote.json"
        path.write_text(json.dumps(template))
        result = roundtable("run", str(path), "--task", "hi", "--human", "never")
    assert result.returncode == 1
    assert_one_line_error(result, "run failed", "API key")


def test_ctrl_c_cancels_cleanly(data_dir):
    process = subprocess.Popen(
        cli_command("run", "planning_group", "--demo-delay", "0.05", "--human", "never",
                    "--data-dir", str(data_dir)),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(), cwd=ROOT)
    assert process.stdout is not None
    assert process.stdout.readline().startswith("Task: ")  # the run is going
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130
    assert err.strip().startswith("roundtable: cancelled") and len(err.strip().splitlines()) == 1
    (run,) = Store.open(data_dir=data_dir).list_runs(LOCAL)
    assert run.status == "cancelled"


def test_db_backup_and_restore(roundtable, data_dir, tmp_path):
    assert roundtable("run", "tool_helper", "--human", "never").returncode == 0
    made = roundtable("admin", "create", "ann", "--member", input="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    backup = tmp_path / "backup.json"
    result = roundtable("db", "backup", str(backup))
    assert result.returncode == 0, result.stderr
    assert json.loads(backup.read_text())["runs"]
    other = tmp_path / "other"
    restored = subprocess.run(cli_command("db", "restore", str(backup), "--data-dir", str(other)),
                              capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=60)
    assert restored.returncode == 0, restored.stderr
    assert "1 new accounts" in restored.stdout and "admin password NAME" in restored.stdout
    original = Store.open(data_dir=data_dir).list_runs(LOCAL)
    copy = Store.open(data_dir=other).list_runs(LOCAL)
    assert [(r.id, r.status, r.task) for r in copy] == [(r.id, r.status, r.task) for r in original]
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_one_line_error(roundtable("db", "restore", str(broken)), "not JSON")


def test_ui_on_a_busy_port_is_a_one_line_error(roundtable):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = roundtable("ui", "--port", str(port), timeout=30)
    assert_one_line_error(result, f"127.0.0.1:{port}", "--port")


def test_bad_database_url_is_one_line(roundtable):
    result = roundtable("templates", "list", "--db-url", "mysql://x/y", storage=False)
    assert_one_line_error(result, "unsupported database")


def test_missing_file_is_one_line(roundtable, tmp_path: Path):
    result = roundtable("run", str(tmp_path / "nope.yaml"), "--human", "never")
    assert_one_line_error(result, "does not exist")


def test_templates_export_and_import_round_trip(roundtable, data_dir, tmp_path):
    out = tmp_path / "helper.json"
    result = roundtable("templates", "export", "tool_helper", "--format", "json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    exported = json.loads(out.read_text())
    assert exported["name"] == load_bundled_template("tool_helper").name
    exported["name"] = "Imported helper"
    out.write_text(json.dumps(exported))
    result = roundtable("templates", "import", str(out))
    assert result.returncode == 0, result.stderr
    assert "imported 'Imported helper'" in result.stdout
    stored = Store.open(data_dir=data_dir).get_template(LOCAL, "Imported helper")
    assert stored.document["agents"] == exported["agents"]

    script = roundtable("templates", "export", "Imported helper", "--format", "python")
    assert script.returncode == 0 and "from studio.engine import" in script.stdout
    compile(script.stdout, "exported.py", "exec")


def test_templates_import_of_a_bad_file_stores_nothing(roundtable, data_dir, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: 1\nname: Broken\nagents:\n  - name: a b c\n")
    result = roundtable("templates", "import", str(bad))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"roundtable: {bad} cannot be imported; nothing was stored:",
        "  line 1: pattern: this field is required",  # a missing field: its mapping's line
    ]
    assert Store.open(data_dir=data_dir).list_templates(LOCAL) == []

    bundle = tmp_path / "bundle.json"  # a bundle's problems: the lines of the bundle file
    good = load_bundled_template("tool_helper").to_dict()
    bundle.write_text(json.dumps({"kind": "roundtable-bundle", "format": 1, "templates": [
        good, dict(good, name="Other", agents=[dict(good["agents"][0], kind="assistent")])]},
        indent=1))
    (kind_line,) = [n for n, row in enumerate(bundle.read_text().split("\n"), 1)
                    if '"kind": "assistent"' in row]
    result = roundtable("templates", "import", str(bundle))
    assert result.returncode == 1
    first, *others, more = result.stderr.splitlines()[1:]
    assert first == (f"  line {kind_line}: templates[1].agents[0].kind: should be 'assistant', "
                     "'user_proxy', 'conversable' or 'retrieve_user_proxy' (got 'assistent')")
    # and, at once, what else is wrong with it: it kept only the first agent
    assert others and all(re.fullmatch(r"  line \d+: templates\[1\]\.\S+: unknown agent "
                                       r"'assistant'", line) for line in others), others
    assert re.fullmatch(r"\.\.\. and \d+ more problems?", more.strip())
    assert Store.open(data_dir=data_dir).list_templates(LOCAL) == []


def test_templates_import_uses_the_gallerys_name_rule(roundtable, data_dir, tmp_path):
    """A template named like a bundled one is stored as '... (imported)' (so the app lists
    it), the plan is printed first, and the same file again adds nothing."""
    from studio.app._catalog import templates
    from studio.spec import Registry

    spec = load_bundled_template("tool_helper")
    changed = tmp_path / "helper.json"
    changed.write_text(json.dumps(spec.to_dict() | {"description": "My own helper."}))
    result = roundtable("templates", "import", str(changed))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{spec.name!r} will be added as '{spec.name} (imported)': a bundled "
                        f"template is named {spec.name!r}, which stays as it is (roundtable)")
    assert lines[1] == f"imported '{spec.name} (imported)'"
    store = Store.open(data_dir=data_dir)
    listed = {e.name: e for e in templates(store, Registry.bundled(), LOCAL).values()}
    assert listed[f"{spec.name} (imported)"].spec.description == "My own helper."
    assert listed[spec.name].origin == "bundled"
    store.close()

    again = roundtable("templates", "import", str(changed))
    assert again.returncode == 0, again.stderr
    assert "already in your templates" in again.stdout and "imported '" not in again.stdout

    script = tmp_path / "helper.python"
    script.write_text(roundtable("templates", "export", "tool_helper", "--format",
                                 "python").stdout)
    refused = roundtable("templates", "import", str(script))
    assert_one_line_error(refused, "Python exports cannot be imported")


def test_a_file_with_many_problems_gives_a_short_list(tmp_path, capsys):
    """The first problems and how many more, not a line of every problem (in this process:
    the message is what is tested)."""
    from studio.cli import main

    doc = load_bundled_template("tool_helper").to_dict()
    doc["agents"] = [dict(doc["agents"][1], name=f"bad name {i}") for i in range(60)]
    bad = tmp_path / "many.json"
    bad.write_text(json.dumps(doc))
    assert main(["templates", "import", str(bad), "--data-dir", str(tmp_path / "d")]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0] == f"roundtable: {bad} cannot be imported; nothing was stored:"
    assert len(lines) == 12 and all(re.match(r"  line \d+: agents\[\d+\]\.name: ", line)
                                    for line in lines[1:11]), lines
    assert re.fullmatch(r"  \.\.\. and \d+ more problems", lines[-1])


def test_ctrl_c_while_the_person_is_asked_cancels_at_once(data_dir):
    process = subprocess.Popen(
        cli_command("run", "human_in_the_loop", "--human", "console", "--task", "Draft a note.",
                    "--data-dir", str(data_dir)),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=cli_env(), cwd=ROOT)
    assert process.stdout is not None
    seen = ""
    while not seen.endswith("(empty = let the agent reply, exit = end): "):
        char = process.stdout.read(1)
        assert char, f"the run ended before it asked: {seen!r}"
        seen += char
    process.send_signal(signal.SIGINT)  # nothing typed yet: the CLI is reading the answer
    out, err = process.communicate(timeout=10)
    assert process.returncode == 130, err
    assert err.strip().startswith("roundtable: cancelled")
    (run,) = Store.open(data_dir=data_dir).list_runs(LOCAL)
    assert run.status == "cancelled"

"""The README is tested: its set-up commands exist and do what it says (the parts that can run
offline), the CLI offers every command and option the README shows, and its library example
runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", setup, flags=re.S)
    assert [c.strip() for c in commands] == ["make studio", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_targets_do_what_the_readme_says():
    dry = subprocess.run(["make", "-n", "studio"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "pip install" in dry.stdout and "-c constraints.txt" in dry.stdout
    assert "roundtable ui" in dry.stdout
    dry = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "scripts/setup_test_env.sh" in dry.stdout and "pytest" in dry.stdout
    setup = (ROOT / "scripts" / "setup_test_env.sh").read_text()
    assert "chromium" in setup and "apt-get install" in setup


def _help(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "studio", *args, "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cli_help_lists_what_the_readme_shows():
    usage = _blocks("text")[0]
    for line in usage.strip().splitlines():
        for part in line.split(" | "):
            words = part.split()
            assert words[0] == "roundtable"
            command = [w for w in words[1:] if re.fullmatch(r"[a-z]+", w)][:2]
            text = _help(*command)
            for option in re.findall(r"--[a-z][a-z-]*", part):
                assert option in text, f"`roundtable {' '.join(command)} --help` lacks {option}"


def test_library_example_prints_what_the_readme_says():
    example = _blocks("python")[0]
    expected = example.strip().splitlines()[-1].removeprefix("# ")
    proc = subprocess.run([sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected  # an error prints "error - <the reason>" instead

"""Fast start: commands that call no model do not import the openai SDK (it was 72-79% of
``import studio.engine``); it is imported once an OpenAI-compatible model is built. Each check
runs in a fresh interpreter and reads ``sys.modules`` there. Timings are in bench/cli_startup.py."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORT = "\nimport sys\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'openai')[:3])"


def sdk_modules_after(code: str, tmp_path: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code + REPORT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                                       "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("code", [
    "import studio.engine",
    "import studio.engine.models\nfrom studio.engine import OpenAIChatModel",
    "from studio.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
    "from studio.cli import main\nmain(['templates', 'list', '--data-dir', 'DATA'])",
], ids=["import studio.engine", "the class alone", "roundtable --help", "roundtable templates list"])
def test_commands_that_call_no_model_do_not_import_the_sdk(code: str, tmp_path: Path) -> None:
    assert sdk_modules_after(code.replace("DATA", str(tmp_path / "data")), tmp_path) == "[]"


def test_building_an_openai_compatible_model_imports_it(tmp_path: Path) -> None:
    code = ("from studio.engine import OpenAIChatModel\n"
            "OpenAIChatModel('m', base_url='http://127.0.0.1:9/v1')")
    assert sdk_modules_after(code, tmp_path) != "[]"


LAZY_PACKAGES = ["studio.engine", "studio.engine.models", "studio.spec", "studio.runs"]


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_a_lazy_package_exports_exactly_its_all(package: str) -> None:
    """Each name is imported on first use, so a name in ``__all__`` without its import under
    TYPE_CHECKING would fail only when used: check every one here."""
    from studio.engine._lazy import _exports

    module = importlib.import_module(package)
    source = Path(module.__file__ or "").read_text(encoding="utf-8")
    assert sorted(_exports(source)) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018


def test_listing_templates_loads_neither_the_run_manager_nor_the_agents(tmp_path: Path) -> None:
    code = ("from studio.cli import main\nmain(['templates', 'list', '--data-dir', DATA])\n"
            "import sys\nprint(sorted(m for m in sys.modules if m in ('studio.runs._manager', "
            "'studio.runs._celery', 'studio.engine._agent', 'studio.engine._groupchat')))")
    done = subprocess.run([sys.executable, "-c", code.replace("DATA", repr(str(tmp_path / "d")))],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "brainstorm" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"

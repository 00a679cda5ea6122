"""The package layout: every package is shipped, the engine stands alone, and the bundled
components and templates are found from a real (non-editable) wheel install."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _declared_packages() -> set[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(data["tool"]["setuptools"]["packages"])


def _found_packages() -> set[str]:
    found = set()
    for init in (ROOT / "studio").rglob("__init__.py"):
        parts = init.parent.relative_to(ROOT).parts
        if "__pycache__" not in parts:
            found.add(".".join(parts))
    for folder, name in (("components", "studio.components"), ("templates", "studio.templates")):
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join((name, *rel)))
    return found


def test_every_package_is_listed_in_pyproject():
    assert _found_packages() - _declared_packages() == set()


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("layer, forbidden", [
    ("engine", ("studio.app", "studio.store", "studio.runs", "studio.spec", "studio.cli", "streamlit")),
    ("spec", ("studio.app", "studio.store", "studio.runs", "studio.cli", "streamlit")),
    ("store", ("studio.app", "studio.runs", "studio.spec", "studio.cli", "streamlit")),
    ("runs", ("studio.app", "studio.cli", "streamlit")),
])
def test_dependencies_point_one_way(layer, forbidden):
    offenders = []
    for path in (ROOT / "studio" / layer).rglob("*.py"):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_engine_imports_alone_in_a_fresh_interpreter():
    code = ("import sys, studio.engine; "
            "bad = [m for m in sys.modules if m.startswith('studio.') and not m.startswith('studio.engine')"
            " or m.split('.')[0] == 'streamlit']; print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_wheel_ships_components_and_templates(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("roundtable_studio-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    templates = [n for n in names if n.startswith("studio/templates/") and n.endswith(".yaml")]
    assert len(templates) >= 4
    assert any(n.startswith("studio/components/tools/") and n.endswith(".py") for n in names)
    assert "studio/components/models.yaml" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    code = ("import studio, importlib.resources as r; "
            f"assert str(studio.__file__).startswith({str(target)!r}), studio.__file__; "
            "print(sorted(p.name for p in r.files('studio.templates').iterdir() if p.name.endswith('.yaml')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert ".yaml" in proc.stdout

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
    ("engine", ("studio.app", "studio.store", "studio.runs", "studio.spec", "studio.cli",
                "studio.serve", "streamlit")),
    ("spec", ("studio.app", "studio.store", "studio.runs", "studio.cli", "studio.serve",
              "streamlit")),
    ("store", ("studio.app", "studio.runs", "studio.spec", "studio.cli", "studio.serve",
               "streamlit")),
    ("runs", ("studio.app", "studio.cli", "studio.serve", "streamlit")),
    # the HTTP service and the studio are siblings over `runs`: neither needs the other
    ("serve", ("studio.app", "studio.cli", "streamlit")),
    ("app", ("studio.serve",)),
])
def test_dependencies_point_one_way(layer, forbidden):
    offenders = []
    for path in (ROOT / "studio" / layer).rglob("*.py"):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_engine_imports_alone_in_a_fresh_interpreter():
    code = ("import sys, studio.engine; [getattr(studio.engine, n) for n in studio.engine.__all__]; "
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


def _pins() -> dict[str, tuple[str, set[str]]]:
    """constraints.txt as {canonical name: (version, {canonical names it is 'via'})}."""
    from packaging.utils import canonicalize_name

    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        spec, _, comment = line.partition("#")
        name, _, version = spec.strip().partition("==")
        via = comment.strip().removeprefix("via").split(",") if comment else []
        pins[canonicalize_name(name)] = (version, {canonicalize_name(v.strip()) for v in via if v.strip()})
    return pins


def _installed_requirements(name: str, extras: set[str]) -> dict[str, set[str]]:
    """The installed distributions `name[extras]` requires: {canonical name: extras asked}."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: dict[str, set[str]] = {}
    for text in metadata.requires(name) or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in ("", *extras)):
            found.setdefault(canonicalize_name(req.name), set()).update(req.extras)
    return found


def test_constraints_pin_the_projects_own_tree_and_nothing_else():
    """Every pin is pulled in by the project (its `# via` chain reaches roundtable-studio), every
    installed package of the tree is pinned, and each installed `via` link is real."""
    from importlib import metadata

    pins = _pins()
    project = "roundtable-studio"
    reachable, todo = {project}, [project]
    children: dict[str, set[str]] = {}
    for name, (_, via) in pins.items():
        for parent in via:
            children.setdefault(parent, set()).add(name)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in reachable:
                reachable.add(child)
                todo.append(child)
    assert sorted(set(pins) - reachable) == [], "pinned but not in the project's tree"

    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
                 ["optional-dependencies"])
    tree, todo2, unpinned, false_links = {project: extras}, [project], [], []
    while todo2:
        name = todo2.pop()
        try:
            requires = _installed_requirements(name, tree[name])
        except metadata.PackageNotFoundError:
            continue  # e.g. llm: installed without its dependencies by install_local_model.sh
        for dep, dep_extras in requires.items():
            if dep not in pins:
                unpinned.append(f"{dep} (required by {name})")
            if dep not in tree:
                tree[dep] = set(dep_extras)
                todo2.append(dep)
    for name, (_, via) in pins.items():
        for parent in via - {project}:
            try:
                requires = _installed_requirements(parent, tree.get(parent, set()))
            except metadata.PackageNotFoundError:
                continue
            if name not in requires:
                false_links.append(f"{name} via {parent}")
    assert unpinned == [], "the tree needs these but constraints.txt lacks them: `make constraints`"
    assert false_links == [], "stale `# via` links: `make constraints`"

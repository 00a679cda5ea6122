"""scripts/image_wheels.py: the wheels the image needs are decided by the image's Python, not
this machine's (Debian's 3.11.2 needs async-timeout for redis; 3.11.7 does not)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("image_wheels", ROOT / "scripts" / "image_wheels.py")
assert _spec is not None and _spec.loader is not None
image_wheels = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(image_wheels)


def probe(**changes: object) -> dict:
    """This interpreter's marker environment, as the probe prints it inside an image."""
    out = subprocess.run([sys.executable, "-c", image_wheels.PROBE], capture_output=True,
                         text=True, check=True).stdout
    return {**json.loads(out), **changes}


def wheel(folder: Path, name: str, version: str, requires: list[str],
          tag: str = "py3-none-any", python: str = "") -> Path:
    dist = f"{name.replace('-', '_')}-{version}"
    path = folder / f"{dist}-{tag}.whl"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}",
             *(f"Requires-Dist: {r}" for r in requires),
             *([f"Requires-Python: {python}"] if python else [])]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{dist}.dist-info/METADATA", "\n".join(lines) + "\n")
    return path


def test_markers_are_evaluated_for_the_images_python(tmp_path: Path) -> None:
    wheel(tmp_path, "roundtable-studio", "0.1.0", ["redis>=5.0", "celery>=5.4",
                                                   "pytest>=8; extra == 'dev'"])
    wheel(tmp_path, "redis", "8.1.0",
          ['async-timeout>=4.0.3; python_full_version < "3.11.3"', "hiredis>=3; extra == 'hiredis'"])
    wheel(tmp_path, "celery", "5.7.0", ["kombu>=5.5"])
    wheel(tmp_path, "kombu", "5.6.0", [])
    debian = probe(python_full_version="3.11.2", python_version="3.11")
    newer = probe(python_full_version="3.11.7", python_version="3.11")
    assert image_wheels.missing(debian, tmp_path) == ["async-timeout>=4.0.3"]
    assert image_wheels.missing(newer, tmp_path) == []  # what `pip wheel` here resolved
    wheel(tmp_path, "async-timeout", "5.0.1", [])
    assert image_wheels.missing(debian, tmp_path) == []


def test_a_wheel_that_does_not_fit_the_image_is_fetched_again(tmp_path: Path) -> None:
    env = probe(python_full_version="3.11.2", python_version="3.11",
                platform_machine="x86_64", libc=["glibc", "2.36"])
    wheel(tmp_path, "roundtable-studio", "0.1.0", ["fastfoo==2.0", "okfoo==1.0"])
    wrong = wheel(tmp_path, "fastfoo", "2.0", [], tag="cp312-cp312-manylinux_2_39_x86_64")
    wheel(tmp_path, "okfoo", "1.0", [], tag="cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64")
    assert image_wheels.missing(env, tmp_path) == ["fastfoo==2.0"]
    assert not wrong.exists()
    assert "manylinux_2_36_x86_64" in image_wheels.platforms(env)
    assert "manylinux_2_39_x86_64" not in image_wheels.platforms(env)


def test_a_version_not_for_the_images_python_is_asked_for_by_what_requires_it(
        tmp_path: Path) -> None:
    env = probe(python_full_version="3.11.2", python_version="3.11")
    wheel(tmp_path, "roundtable-studio", "0.1.0", ["beautifulsoup4>=4.12"])
    wheel(tmp_path, "beautifulsoup4", "4.15.0", ["soupsieve>1.2", "typing-extensions>=4"])
    wheel(tmp_path, "typing-extensions", "4.15.0", [])
    newest = wheel(tmp_path, "soupsieve", "2.8.3", [], python=">=3.11.5")
    assert image_wheels.missing(env, tmp_path) == ["soupsieve>1.2"]
    assert not newest.exists()

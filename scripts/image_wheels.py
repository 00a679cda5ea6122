"""Which wheels the image's Python still needs, beyond those collected on this machine.

    python scripts/image_wheels.py probe                   # code to run with the IMAGE's python3
    python scripts/image_wheels.py complete ENV.json DIR   # fetch what DIR lacks for that python

`pip wheel` resolves the project's dependencies for the Python that runs it, but the image
installs them with its own (Debian's 3.11.2, say, where this machine has 3.11.7): a dependency
behind a marker such as ``python_full_version < "3.11.3"`` (redis needs async-timeout there)
is then missing from the wheels, and a wheel built for another platform does not fit.
``probe`` prints a tiny stdlib-only program; run by the image's interpreter it prints that
interpreter's marker environment as JSON. ``complete`` walks the requirements of the wheels in
DIR from the project down, evaluating every marker in that environment; what is absent, or
built for another platform or Python, or whose Requires-Python excludes the image's Python,
it downloads as wheels for the image's interpreter and walks again until nothing is missing;
``DIR/constraints.txt`` is then constraints.txt with the pins that Python needs instead (the
Dockerfile installs with it). scripts/build_image.sh does both.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path
from typing import NamedTuple

try:
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.tags import Tag, compatible_tags, cpython_tags
    from packaging.utils import canonicalize_name, parse_wheel_filename
    from packaging.version import Version
except ImportError:  # a Python without it: pip carries a copy
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.specifiers import SpecifierSet  # type: ignore[no-redef,assignment]
    from pip._vendor.packaging.tags import (  # type: ignore[no-redef,assignment]
        Tag,
        compatible_tags,
        cpython_tags,
    )
    from pip._vendor.packaging.utils import (  # type: ignore[no-redef,assignment]
        canonicalize_name,
        parse_wheel_filename,
    )
    from pip._vendor.packaging.version import Version  # type: ignore[no-redef,assignment]

PROJECT = "roundtable-studio"

PROBE = """\
import json, os, platform, sys
def fmt(info):
    text = "%d.%d.%d" % (info.major, info.minor, info.micro)
    return text if info.releaselevel == "final" else text + info.releaselevel[0] + str(info.serial)
print(json.dumps({
    "implementation_name": sys.implementation.name,
    "implementation_version": fmt(sys.implementation.version),
    "os_name": os.name, "platform_machine": platform.machine(),
    "platform_release": platform.release(), "platform_system": platform.system(),
    "platform_version": platform.version(), "python_full_version": platform.python_version(),
    "platform_python_implementation": platform.python_implementation(),
    "python_version": ".".join(platform.python_version_tuple()[:2]),
    "sys_platform": sys.platform, "libc": list(platform.libc_ver()),
}))
"""


def image_tags(env: dict) -> set[Tag]:
    """The wheel tags the image's interpreter installs (CPython on glibc Linux)."""
    major, minor = (int(p) for p in env["python_version"].split(".")[:2])
    arch = env["platform_machine"]
    platforms = [f"linux_{arch}"]
    libc, version = (env.get("libc") or ["", ""])[:2]
    if libc == "glibc" and re.fullmatch(r"\d+\.\d+", version or ""):
        glibc_minor = int(version.split(".")[1])
        platforms = [f"manylinux_2_{m}_{arch}" for m in range(glibc_minor, 4, -1)]
        legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
        platforms += [f"{name}_{arch}" for m, name in legacy.items() if m <= glibc_minor]
        platforms.append(f"linux_{arch}")
    return set(cpython_tags((major, minor), platforms=platforms)) | set(
        compatible_tags((major, minor), f"cp{major}{minor}", platforms))


class Wheel(NamedTuple):
    path: Path
    version: Version
    requires: list[str]  # Requires-Dist
    python: SpecifierSet  # Requires-Python


def read_wheels(folder: Path) -> dict[str, Wheel]:
    """The wheels in ``folder`` by (canonical) project name."""
    found: dict[str, Wheel] = {}
    for path in sorted(folder.glob("*.whl")):
        name, version, _build, _tags = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as archive:
            meta = next(n for n in archive.namelist()
                        if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
            headers = Parser().parsestr(archive.read(meta).decode("utf-8"), headersonly=True)
        found[canonicalize_name(name)] = Wheel(path, version, headers.get_all("Requires-Dist") or [],
                                               SpecifierSet(headers.get("Requires-Python") or ""))
    return found


def missing(env: dict, folder: Path) -> list[str]:
    """Requirements the wheels in ``folder`` do not meet for the interpreter ``env``
    describes, from the project down. A wheel built for another platform or Python is
    deleted and asked for again (same version); one whose Requires-Python excludes the
    image's Python is deleted and asked for by what requires it (another version)."""
    wheels = read_wheels(folder)
    fits = image_tags(env)
    python = Version(env["python_full_version"])
    marker_env = {k: v for k, v in env.items() if k != "libc"}
    wanted: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    specs: dict[str, SpecifierSet] = {}
    needed: dict[str, str | None] = {}  # name -> exact version, or None: what specs allow
    while wanted:
        name, extras = wanted.pop()
        if (name, extras) in seen or name not in wheels:
            continue
        seen.add((name, extras))
        for text in wheels[name].requires:
            req = Requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({**marker_env, "extra": extra})
                    for extra in ("", *extras)):
                continue
            dep = canonicalize_name(req.name)
            specs[dep] = specs.get(dep, SpecifierSet()) & req.specifier
            have = wheels.get(dep)
            if have is not None and not have.python.contains(python, prereleases=True):
                have.path.unlink()  # this version is not for the image's Python: another is
                needed[dep] = None
                del wheels[dep]
            elif have is not None and not set(parse_wheel_filename(have.path.name)[3]) & fits:
                have.path.unlink()  # built for another platform or Python: fetch one that fits
                needed[dep] = str(have.version)
                del wheels[dep]
            elif have is None or not req.specifier.contains(have.version, prereleases=True):
                needed.setdefault(dep, None)
            else:
                wanted.append((dep, frozenset(req.extras)))
    return sorted(f"{dep}=={exact}" if exact else f"{dep}{specs[dep]}"
                  for dep, exact in needed.items())


def platforms(env: dict) -> list[str]:
    """The platform tags of the image, best first (for ``pip download --platform``)."""
    return list(dict.fromkeys(str(tag.platform) for tag in image_tags(env)
                              if tag.platform != "any"))


def _pinned(line: str) -> str:
    text = line.split("#", 1)[0].strip()
    return canonicalize_name(Requirement(text).name) if text else ""


def complete(env: dict, folder: Path, constraints: Path, rounds: int = 5) -> list[str]:
    """Download into ``folder`` what the image's interpreter still needs, and write
    ``folder/constraints.txt``: constraints.txt with the pins the image's Python needs
    otherwise. Returns what is still missing after ``rounds`` (empty: all is there)."""
    version = env["python_full_version"]
    nodot = "".join(env["python_version"].split(".")[:2])
    target = ["--python-version", version, "--implementation", "cp", "--abi", f"cp{nodot}",
              "--abi", "abi3", "--abi", "none", "--only-binary=:all:"]
    for platform in platforms(env):
        target += ["--platform", platform]
    base = constraints.read_text().splitlines()
    image_constraints = folder / "constraints.txt"
    changed: set[str] = set()
    need: list[str] = []
    for _ in range(rounds):
        need = missing(env, folder)
        if not need:
            break
        print(f"image_wheels: Python {version} in the image needs too: {' '.join(need)}",
              flush=True)
        changed |= {canonicalize_name(Requirement(r).name) for r in need}
        image_constraints.write_text("\n".join(line for line in base
                                               if _pinned(line) not in changed) + "\n")
        subprocess.run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check",
                        "-q", "--no-deps", *target, "-c", str(image_constraints),
                        "-d", str(folder), *need], check=True)
    else:
        need = missing(env, folder)
    wheels = read_wheels(folder)
    pins = [f"{name}=={wheels[name].version}  # for Python {version} in the image"
            for name in sorted(changed) if name in wheels]
    image_constraints.write_text("\n".join([*(line for line in base if _pinned(line) not in changed),
                                            *pins]) + "\n")
    return need


def main(argv: list[str]) -> int:
    if argv[:1] == ["probe"]:
        print(PROBE, end="")
        return 0
    if len(argv) == 3 and argv[0] == "complete":
        env = json.loads(Path(argv[1]).read_text())
        still = complete(env, Path(argv[2]), Path(__file__).resolve().parents[1] / "constraints.txt")
        if still:
            print(f"image_wheels: no wheel fits the image for: {' '.join(still)}", file=sys.stderr)
            return 1
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

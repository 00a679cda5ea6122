#!/usr/bin/env bash
# Build the studio image on this machine, with no registry reachable: the wheels come from
# the package index this machine uses (kept in .wheels/, reused while pyproject.toml and
# constraints.txt are unchanged) and the base image is a local one.
#
#   scripts/build_image.sh [TAG]      # default tag: localhost/roundtable-studio:latest
#
# BASE (default localhost/roundtable-python:latest, made by scripts/setup_sandbox.sh) is the
# base image; any image with Python 3.11 works. Uses podman (docker when podman is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
BASE="${BASE:-localhost/roundtable-python:latest}"
TAG="${1:-localhost/roundtable-studio:latest}"
ENGINE="$(command -v podman || command -v docker || true)"
say() { printf 'build_image: %s\n' "$*"; }

[ -n "$ENGINE" ] || { echo "build_image: neither podman nor docker is installed" >&2; exit 1; }
if [ -z "${CONTAINERS_CONF:-}" ] && [ -f /etc/roundtable/containers.conf ]; then
    export CONTAINERS_CONF=/etc/roundtable/containers.conf  # written by setup_sandbox.sh
fi

# The image's own interpreter decides which wheels it needs (its Python may be an older 3.11
# than this machine's, with dependencies behind markers this one does not have).
image_env="$("$ENGINE" run --rm --network none "$BASE" python3 -c \
    "$("$PYTHON" scripts/image_wheels.py probe)")" \
    || { echo "build_image: cannot run python3 in $BASE" >&2; exit 1; }
stamp=".wheels/.stamp-$( { cat pyproject.toml constraints.txt scripts/image_wheels.py; \
    echo "$image_env"; } | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
    say "collecting wheels for the project and its dependencies in .wheels/"
    find .wheels -maxdepth 1 \( -name '*.whl' -o -name '.stamp-*' -o -name '.image-env.json' \) -delete
    "$PYTHON" -m pip wheel --disable-pip-version-check -q -c constraints.txt -w .wheels .
    # what the image needs to install them: pip itself and the build backend
    "$PYTHON" -m pip download --disable-pip-version-check -q --no-deps -c constraints.txt \
        -d .wheels pip setuptools wheel
    printf '%s\n' "$image_env" > .wheels/.image-env.json
    "$PYTHON" scripts/image_wheels.py complete .wheels/.image-env.json .wheels
    touch "$stamp"
fi

say "building $TAG from $BASE with $(basename "$ENGINE")"
format=(); [ "$(basename "$ENGINE")" = podman ] && format=(--format docker)  # keeps HEALTHCHECK
"$ENGINE" build "${format[@]}" --build-arg "BASE=$BASE" -t "$TAG" .
say "built $TAG"

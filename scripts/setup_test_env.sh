#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine (run as root; idempotent):
# system packages (Chromium for the browser tests, bubblewrap/Podman for the sandboxes,
# PostgreSQL for the store tests, Redis for the scale-out tests), the project with its dev extra at the tested versions,
# the offline Local model, the Podman Docker-API service with its Python image, and a
# PostgreSQL server and a Redis server on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
say() { printf 'setup_test_env: %s\n' "$*"; }

packages=(chromium bubblewrap podman runc debootstrap postgresql redis-server curl)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

say "installing the project (editable) with the dev extra at the tested versions"
"$PYTHON" -m pip install --disable-pip-version-check -q -c constraints.txt -e ".[dev]"

say "installing the Local model (llama-cpp-python + SmolLM2)"
PYTHON="$PYTHON" bash scripts/install_local_model.sh

say "setting up the sandboxes (Podman service and image)"
bash scripts/setup_sandbox.sh

say "setting up PostgreSQL on loopback"
bash scripts/setup_postgres.sh

say "setting up Redis on loopback (the Celery broker and live channels)"
bash scripts/setup_redis.sh

say "ready"

#!/usr/bin/env bash
# Set up the code-execution sandboxes for Roundtable Studio (run as root; idempotent).
#
#   1. installs bubblewrap, podman, runc and debootstrap with apt (skipped when present), and
#      what the per-run limits use: util-linux (setpriv, prlimit, mount) and e2fsprogs
#      (mkfs.ext4: as root, a run's work dir becomes a size-capped file system of its own);
#   2. writes a containers.conf (runtime runc, bounded ulimits) for the Podman service;
#   3. serves Podman's Docker-compatible API on unix:///run/roundtable-podman.sock;
#   4. builds the image localhost/roundtable-python:latest from a minimal Debian root file
#      system (debootstrap + podman import) unless it exists; the root file system tarball is
#      cached under /var/cache/roundtable/ so a re-run is fast.
#
# Afterwards: export DOCKER_HOST=unix:///run/roundtable-podman.sock
# Environment overrides: ROUNDTABLE_PODMAN_SOCKET, ROUNDTABLE_IMAGE, ROUNDTABLE_DEBIAN_MIRROR,
# ROUNDTABLE_DEBIAN_SUITE, ROUNDTABLE_CACHE_DIR.
set -euo pipefail

SOCKET_PATH="${ROUNDTABLE_PODMAN_SOCKET:-/run/roundtable-podman.sock}"
IMAGE="${ROUNDTABLE_IMAGE:-localhost/roundtable-python:latest}"
CACHE_DIR="${ROUNDTABLE_CACHE_DIR:-/var/cache/roundtable}"
CONF_DIR=/etc/roundtable
CONF_FILE="$CONF_DIR/containers.conf"
MIRROR="${ROUNDTABLE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${ROUNDTABLE_DEBIAN_SUITE:-}"
LOG_FILE=/var/log/roundtable-podman.log

say() { printf 'setup_sandbox: %s\n' "$*"; }
die() { printf 'setup_sandbox: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo bash scripts/setup_sandbox.sh)"

# 1. packages ---------------------------------------------------------------------------
missing=()
for pair in bwrap:bubblewrap podman:podman runc:runc debootstrap:debootstrap \
            setpriv:util-linux prlimit:util-linux mkfs.ext4:e2fsprogs; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq $(printf '%s\n' "${missing[@]}" | sort -u)
else
    say "bubblewrap, podman, runc, debootstrap, util-linux and e2fsprogs are installed"
fi

# 2. containers.conf (used by the service through CONTAINERS_CONF) ------------------------
mkdir -p "$CONF_DIR"
cat >"$CONF_FILE.new" <<'EOF'
# Written by scripts/setup_sandbox.sh for Roundtable Studio's Podman service.
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
log_size_max = 10485760

[engine]
runtime = "runc"
EOF
if cmp -s "$CONF_FILE.new" "$CONF_FILE" 2>/dev/null; then
    rm -f "$CONF_FILE.new"
else
    mv "$CONF_FILE.new" "$CONF_FILE"
    say "wrote $CONF_FILE"
fi
export CONTAINERS_CONF="$CONF_FILE"

# 3. the Docker-compatible API ------------------------------------------------------------
serving() {
    python3 - "$SOCKET_PATH" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
s.sendall(b"GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n")
data = b""
while chunk := s.recv(4096):
    data += chunk
sys.exit(0 if b" 200 " in data.split(b"\r\n", 1)[0] + b" " else 1)
EOF
}
if serving; then
    say "Podman already serves the Docker API at $SOCKET_PATH"
else
    rm -f "$SOCKET_PATH"
    say "starting podman system service at unix://$SOCKET_PATH (log: $LOG_FILE)"
    # Detached for real: its own session, no inherited descriptors (a pipe held open would keep
    # the caller - CI included - waiting for end of file), and a working directory of its own,
    # since conmon writes files such as `oom` into it.
    mkdir -p /var/lib/roundtable-podman
    python3 - "$SOCKET_PATH" "$LOG_FILE" <<'PY'
import subprocess, sys
socket_path, log_path = sys.argv[1], sys.argv[2]
with open(log_path, "ab") as log:
    subprocess.Popen(["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
                     stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True,
                     start_new_session=True, cwd="/var/lib/roundtable-podman")
PY
    for _ in $(seq 1 150); do
        serving && break
        sleep 0.2
    done
    serving || die "podman system service did not start; see $LOG_FILE"
fi

# 4. the image ----------------------------------------------------------------------------
if podman image exists "$IMAGE"; then
    say "image $IMAGE exists"
else
    mkdir -p "$CACHE_DIR"
    if [ -z "$SUITE" ]; then
        # shellcheck disable=SC1091
        SUITE="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
    fi
    TARBALL="$CACHE_DIR/rootfs-$SUITE-python3.tar"
    if [ ! -s "$TARBALL" ]; then
        ROOTFS="$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")"
        trap 'rm -rf "$ROOTFS"' EXIT
        say "debootstrap $SUITE (minbase + python3) from $MIRROR; this takes a few minutes once"
        debootstrap --variant=minbase --include=python3 "$SUITE" "$ROOTFS" "$MIRROR" >/dev/null
        rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
        tar -C "$ROOTFS" -cf "$TARBALL.tmp" .
        mv "$TARBALL.tmp" "$TARBALL"
        rm -rf "$ROOTFS"
        trap - EXIT
        say "cached the root file system at $TARBALL"
    fi
    say "importing $TARBALL as $IMAGE"
    podman import --change 'CMD ["python3"]' --change 'WORKDIR /workspace' \
        "$TARBALL" "$IMAGE" >/dev/null
    podman image exists "$IMAGE" || die "podman import did not create $IMAGE"
fi

say "ready: export DOCKER_HOST=unix://$SOCKET_PATH"

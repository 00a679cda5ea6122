#!/usr/bin/env bash
# Start a local Redis for the scale-out tests and a local Celery set-up (idempotent; run as root).
#
#   scripts/setup_redis.sh            # prints the Redis URL on the last line
#
# Installs Debian's redis-server with apt if missing and starts one server of our own on
# 127.0.0.1:$REDIS_PORT (default 63790), its data in $REDIS_DIR (default
# /var/lib/roundtable-redis), with append-only persistence so queued runs survive a restart.
# The system's own redis-server service, if any, is left alone.
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-63790}"
REDIS_DIR="${REDIS_DIR:-/var/lib/roundtable-redis}"

if [ "$(id -u)" != "0" ]; then
  echo "setup_redis.sh must run as root (it may apt-get install redis-server)" >&2
  exit 1
fi

if ! command -v redis-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

ping() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

if ! ping; then
  mkdir -p "$REDIS_DIR"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
    --dir "$REDIS_DIR" --appendonly yes --save "" --databases 64 \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 1 100); do
    ping && break
    sleep 0.1
  done
  if ! ping; then
    echo "redis-server did not answer on 127.0.0.1:$REDIS_PORT; see $REDIS_DIR/redis.log" >&2
    exit 1
  fi
fi

echo "redis://127.0.0.1:$REDIS_PORT/0"

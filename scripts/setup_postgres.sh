#!/usr/bin/env bash
# Start a local PostgreSQL for the store tests (idempotent; run as root).
#
#   scripts/setup_postgres.sh            # prints the database URL on the last line
#
# Installs PostgreSQL with apt if missing, creates a cluster in $PGDATA
# (default /var/lib/roundtable-pg) owned by the postgres user, listening on
# 127.0.0.1:$PGPORT (default 54329), and a role + database `roundtable`
# (password `roundtable`) that may create databases (the tests make one per test).
set -euo pipefail

PGPORT="${PGPORT:-54329}"
PGDATA="${PGDATA:-/var/lib/roundtable-pg}"
PGUSER_NAME="${ROUNDTABLE_PG_USER:-roundtable}"
PGPASS="${ROUNDTABLE_PG_PASSWORD:-roundtable}"
LOG="${PGDATA}.log"

if [ "$(id -u)" != "0" ]; then
  echo "setup_postgres.sh must run as root (it may apt-get install postgresql)" >&2
  exit 1
fi

find_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; fi
}

PGBIN="$(find_bin)"
if [ -z "$PGBIN" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  PGBIN="$(find_bin)"
fi
if [ -z "$PGBIN" ]; then
  echo "PostgreSQL binaries not found after install" >&2
  exit 1
fi

as_pg() { runuser -u postgres -- "$@"; }

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
fi
touch "$LOG" && chown postgres:postgres "$LOG"
mkdir -p /var/run/postgresql && chown postgres:postgres /var/run/postgresql

if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /var/run/postgresql -c fsync=on -c max_connections=200" \
    start >/dev/null
fi

psql_pg() { as_pg "$PGBIN/psql" -h /var/run/postgresql -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if [ "$(psql_pg -c "SELECT 1 FROM pg_roles WHERE rolname = '$PGUSER_NAME'")" != "1" ]; then
  psql_pg -c "CREATE ROLE $PGUSER_NAME LOGIN CREATEDB PASSWORD '$PGPASS'"
fi
if [ "$(psql_pg -c "SELECT 1 FROM pg_database WHERE datname = '$PGUSER_NAME'")" != "1" ]; then
  psql_pg -c "CREATE DATABASE $PGUSER_NAME OWNER $PGUSER_NAME"
fi

echo "postgresql+psycopg2://$PGUSER_NAME:$PGPASS@127.0.0.1:$PGPORT/$PGUSER_NAME"

#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL 15: initdb + pg_ctl in a temp dir, loopback port,
# as the `postgres` user when run as root (PostgreSQL refuses root); stopped on exit, also on failure.
# The command sees PG_URL=postgresql://postgres@127.0.0.1:<port>/datchuan_test.
set -euo pipefail
cd "$(dirname "$0")/.."

find_pg_bin() {
  for dir in /usr/lib/postgresql/15/bin /usr/local/bin /usr/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  return 1
}
PG_BIN=$(find_pg_bin || true)
if [ -z "$PG_BIN" ]; then
  echo "== installing PostgreSQL 15 ==" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
  PG_BIN=$(find_pg_bin)
fi

RUN_AS=()
if [ "$(id -u)" = "0" ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  RUN_AS=(runuser -u postgres --)
fi

PG_DIR=$(mktemp -d /tmp/datchuan-pg.XXXXXX)
chmod 755 "$PG_DIR"
if [ "${#RUN_AS[@]}" -gt 0 ]; then chown postgres "$PG_DIR"; fi
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap cleanup EXIT INT TERM

echo "== PostgreSQL on 127.0.0.1:$PG_PORT ==" >&2
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off" start >/dev/null
.venv/bin/python - "$PG_PORT" <<'PY'
import sys
import psycopg
with psycopg.connect(f"host=127.0.0.1 port={sys.argv[1]} user=postgres dbname=postgres", autocommit=True) as conn:
    conn.execute("CREATE DATABASE datchuan_test")
PY
export PG_URL="postgresql://postgres@127.0.0.1:$PG_PORT/datchuan_test"
"$@"

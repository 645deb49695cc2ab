#!/usr/bin/env bash
# `make cluster-test`: two app nodes for real, on one machine, everything on 127.0.0.1 and stopped on exit
# (trap, also on failure):
#   - one throwaway PostgreSQL 15 (scripts/with-postgres.sh),
#   - one throwaway redis-server (Debian binary, no persistence) for the shared rate-limit counts,
#   - one object store: moto's standalone S3 server (PyPI moto[server]),
#   - `flask db upgrade`, criteria, units and the demo data (the test's users, campaigns and questionnaires),
#   - TWO gunicorn instances (gunicorn.conf.py, WEB_CONCURRENCY workers each) on two free loopback ports with the
#     same SECRET_KEY, DATABASE_URL, RATELIMIT_STORAGE_URI and storage settings, APP_ENV=production,
#   - ONE `flask worker` (procrastinate) for the export jobs,
# then tests/cluster/test_two_nodes.py drives both nodes over real HTTP (skipped unless CLUSTER_NODES is set, so
# `make test` never collects it).
set -euo pipefail
cd "$(dirname "$0")/.."

# ---- the one storage switch -------------------------------------------------------------------------------------
# local: both nodes share one UPLOAD_DIR (a shared disk).
# s3 (default): STORAGE_BACKEND=s3 against the moto server below (the S3_* variables are passed in both cases).
CLUSTER_STORAGE="${CLUSTER_STORAGE:-s3}"
# -----------------------------------------------------------------------------------------------------------------

if [ -z "${PG_URL:-}" ]; then
  exec scripts/with-postgres.sh "$(pwd)/scripts/cluster-test.sh" "$@"   # comes back here with PG_URL set; PostgreSQL stops when we exit
fi

PY=.venv/bin/python
BIN=.venv/bin
REDIS_SERVER=$(command -v redis-server || echo /usr/bin/redis-server)
WORK=$(mktemp -d /tmp/datchuan-cluster.XXXXXX)
PIDS=()
STARTED=$(date +%s)

# Stop every service we started (TERM, up to 35 s each: gunicorn drains for graceful_timeout 30 s, then KILL).
cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 350); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    for log in "$WORK"/*.log; do
      [ -f "$log" ] || continue
      echo "---- last lines of $(basename "$log") ----" >&2
      tail -n 40 "$log" >&2 || true
    done
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Bound on waiting for one service to come up (not a timing assertion; generous for a loaded 2-core CI machine).
export CLUSTER_STARTUP_SECONDS="${CLUSTER_STARTUP_SECONDS:-300}"

# wait_for WHAT PID URL-or-host:port: bounded wait for a process to answer; fails if it exits first.
wait_for() {
  "$PY" - "$@" <<'PY'
import socket, sys, time, urllib.request, os
what, pid, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
limit = int(os.environ["CLUSTER_STARTUP_SECONDS"])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"{what} exited before it answered")
    try:
        if target.startswith("http"):
            with urllib.request.urlopen(target, timeout=5) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    sys.exit(0)
        else:
            host, port = target.split(":")
            socket.create_connection((host, int(port)), timeout=2).close()
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(f"{what} did not answer {target} within {limit} s")
PY
}

if [ ! -x "$REDIS_SERVER" ]; then
  echo "== installing redis-server (Debian package) ==" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  REDIS_SERVER=$(command -v redis-server)
fi
if [ ! -x "$BIN/moto_server" ]; then
  echo "moto_server missing: run \`make install\` (moto[server] is in the dev extra)" >&2
  exit 1
fi

REDIS_PORT=$(free_port)
"$REDIS_SERVER" --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --dir "$WORK" \
  --protected-mode yes >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_for redis-server "$!" "127.0.0.1:$REDIS_PORT"

MOTO_PORT=$(free_port)
"$BIN/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$WORK/moto.log" 2>&1 &
PIDS+=($!)
wait_for moto_server "$!" "http://127.0.0.1:$MOTO_PORT/moto-api/"

PORT_A=$(free_port)
PORT_B=$(free_port)
while [ "$PORT_B" = "$PORT_A" ]; do PORT_B=$(free_port); done

# Everything both nodes and the worker share.
export DATABASE_URL="$PG_URL"
SECRET_KEY=$("$PY" -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
export APP_ENV=production
export RATELIMIT_STORAGE_URI="redis://127.0.0.1:$REDIS_PORT/0"
export REDIS_URL="$RATELIMIT_STORAGE_URI"
export PUBLIC_BASE_URL="http://127.0.0.1:$PORT_A"
export WEB_CONCURRENCY="${CLUSTER_WEB_WORKERS:-2}"
export LOGIN_RATE_LIMIT="10 per hour"          # per hour: a minute boundary cannot reset the count mid-test
export ARGON2_TIME_COST=1 ARGON2_MEMORY_COST=8192   # cheaper hashes on a shared CI machine (stored per hash)
export JOBS_BACKEND=auto                       # procrastinate on PostgreSQL: the web nodes only queue
export UPLOAD_DIR="$WORK/uploads"
export STORAGE_BACKEND="$CLUSTER_STORAGE"
export S3_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" S3_BUCKET=datchuan-cluster S3_REGION=us-east-1 \
  S3_ACCESS_KEY_ID=testing S3_SECRET_ACCESS_KEY=testing S3_PREFIX=cluster/
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export LOG_LEVEL=WARNING ACCESS_LOG=-
mkdir -p "$UPLOAD_DIR"
"$PY" - <<'PY'
import os
import boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT_URL"], region_name=os.environ["S3_REGION"],
                  aws_access_key_id=os.environ["S3_ACCESS_KEY_ID"], aws_secret_access_key=os.environ["S3_SECRET_ACCESS_KEY"])
s3.create_bucket(Bucket=os.environ["S3_BUCKET"])
PY

FLASK=("$BIN/flask" --app wsgi)
echo "== schema and data (flask db upgrade, criteria load, units load, demo seed) ==" >&2
"${FLASK[@]}" db upgrade >"$WORK/setup.log" 2>&1
"${FLASK[@]}" criteria load >>"$WORK/setup.log" 2>&1
"${FLASK[@]}" units load >>"$WORK/setup.log" 2>&1
"${FLASK[@]}" demo seed >>"$WORK/setup.log" 2>&1

"${FLASK[@]}" worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=("$WORKER_PID")
# The worker creates procrastinate's tables on start; wait for them so two nodes never race to create them.
"$PY" - "$WORKER_PID" <<'PY'
import os, sys, time
import psycopg
deadline = time.monotonic() + int(os.environ["CLUSTER_STARTUP_SECONDS"])
while time.monotonic() < deadline:
    os.kill(int(sys.argv[1]), 0)
    with psycopg.connect(os.environ["PG_URL"]) as conn:
        if conn.execute("SELECT to_regclass('procrastinate_workers')").fetchone()[0]:
            sys.exit(0)
    time.sleep(0.2)
sys.exit("the worker did not create the queue tables in time (CLUSTER_STARTUP_SECONDS)")
PY

PORT=$PORT_A "$BIN/gunicorn" -c gunicorn.conf.py --control-socket "$WORK/node-a.ctl" wsgi:app >"$WORK/node-a.log" 2>&1 &
NODE_A=$!
PIDS+=("$NODE_A")
PORT=$PORT_B "$BIN/gunicorn" -c gunicorn.conf.py --control-socket "$WORK/node-b.ctl" wsgi:app >"$WORK/node-b.log" 2>&1 &
NODE_B=$!
PIDS+=("$NODE_B")
wait_for "node A (gunicorn)" "$NODE_A" "http://127.0.0.1:$PORT_A/healthz"
wait_for "node B (gunicorn)" "$NODE_B" "http://127.0.0.1:$PORT_B/healthz"

cat >&2 <<EOF
== cluster up ($(( $(date +%s) - STARTED )) s) ==
  PostgreSQL 15   $(echo "$PG_URL" | sed 's|.*@||')
  redis-server    127.0.0.1:$REDIS_PORT (no persistence; rate-limit counts)
  moto S3         127.0.0.1:$MOTO_PORT (bucket $S3_BUCKET)
  storage         STORAGE_BACKEND=$STORAGE_BACKEND$( [ "$STORAGE_BACKEND" = local ] && echo " (shared UPLOAD_DIR $UPLOAD_DIR)")
  node A          http://127.0.0.1:$PORT_A  (gunicorn pid $NODE_A, $WEB_CONCURRENCY workers)
  node B          http://127.0.0.1:$PORT_B  (gunicorn pid $NODE_B, $WEB_CONCURRENCY workers)
  worker          flask worker (pid $WORKER_PID)
EOF

export CLUSTER_NODES="http://127.0.0.1:$PORT_A,http://127.0.0.1:$PORT_B"
export CLUSTER_LOGIN_LIMIT=10
"$PY" -m pytest -p no:cacheprovider -p no:randomly -o addopts="" -q -ra tests/cluster "$@"
echo "== cluster test passed in $(( $(date +%s) - STARTED )) s (services stopped on exit) ==" >&2

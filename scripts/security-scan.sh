#!/usr/bin/env bash
# make security: sqlmap against a local server on 127.0.0.1 with logged-in sessions (official and admin),
# over the main forms and query parameters. Bounded in time; prints a summary of findings. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlmap >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlmap >/dev/null; }

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
OUT=$(mktemp -d /tmp/datchuan-sqlmap.XXXXXX)
LOGIN_RATE_LIMIT="1000 per minute" .venv/bin/flask --app wsgi run --host 127.0.0.1 --port "$PORT" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -s -o /dev/null "$BASE/healthz" && break; sleep 0.2; done

login() {  # $1 user → cookie file
  local jar="$OUT/$1.cookies" token
  token=$(curl -s -c "$jar" "$BASE/login" | grep -o 'name="csrf_token"[^>]*value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" --data-urlencode "username=$1" \
    --data-urlencode "password=DatChuan@2026" "$BASE/login"
  grep -o 'session\s[^ ]*$' "$jar" | awk '{print "session="$2}'
}
OFFICIAL=$(login canbo.hongbang)
ADMIN=$(login admin)
# Refuse to scan anonymously: the sessions must really be logged in.
curl -s -o /dev/null -w '%{http_code}' -b "$ADMIN" "$BASE/admin/audit/" | grep -q 200 || { echo "admin login failed"; exit 1; }
curl -s -o /dev/null -w '%{http_code}' -b "$OFFICIAL" "$BASE/assessments/" | grep -q 200 || { echo "official login failed"; exit 1; }
CAMPAIGN=$(curl -s -b "$OFFICIAL" "$BASE/assessments/" | grep -o '/assessments/[0-9]*/[0-9]*/' | head -1)

run() {  # $1 label, rest: sqlmap arguments
  local label=$1; shift
  echo "== $label"
  timeout 150 sqlmap --batch --level=2 --risk=1 --timeout=5 --retries=0 --disable-coloring --ignore-code=401,404 \
    --output-dir="$OUT/sqlmap" "$@" >"$OUT/$label.log" 2>&1 || true
  grep -E "is vulnerable|appears to be .*injectable|false positive|do not appear to be injectable|CRITICAL" "$OUT/$label.log" \
    | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/^\[[0-9:]*\] //' | sort -u | sed 's/^/   /' || echo "   (see $OUT/$label.log)"
}

run login -u "$BASE/login" --data "username=a&password=b&csrf_token=x" --csrf-token=csrf_token --csrf-url="$BASE/login" -p username,password
run campaign-search -u "$BASE/campaigns/1?q=Hong" --cookie "$ADMIN" -p q
run reports -u "$BASE/reports/ranking?set_code=CQTT&year=2026&unit_type=phuong&sort=score_desc&page=1" --cookie "$ADMIN" -p set_code,year,unit_type,sort,page
run review-queue -u "$BASE/review/?campaign_id=1&set_code=CQTT&unit_type=phuong&status=submitted&deadline=week" --cookie "$ADMIN" -p campaign_id,set_code,unit_type,status,deadline
run audit -u "$BASE/admin/audit/?action=submission&actor=admin&date_from=01/01/2026" --cookie "$ADMIN" -p action,actor,date_from
run verify -u "$BASE/verify/abc*" --cookie "$ADMIN"
run questionnaire -u "$BASE${CAMPAIGN}groups/G1" --cookie "$OFFICIAL" --data "version=&go=stay&ind_G1_1=yes&ind_G1_2=3&ind_G1_1_explanation=x&csrf_token=x" \
  --csrf-token=csrf_token --csrf-url="$BASE${CAMPAIGN}groups/G1" -p ind_G1_2,ind_G1_1_explanation,version
echo "logs: $OUT"

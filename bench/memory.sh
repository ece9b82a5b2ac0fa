#!/usr/bin/env bash
# Memory and import figures: the server's RSS idle, after 100 sign-ins (and a few
# seconds later), and under load; then the national import's time and peak memory,
# first and repeated, on SQLite and on PostgreSQL.
# Usage: bench/memory.sh   (needs wrk, GNU time; PG_URL names a scratch database that
# is dropped and made again, default bench_memory on the local server)
# KAPOK_BIN runs another build (before/after on one machine).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time is not installed (apt-get install time)" >&2; exit 1; }
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/bench_memory}"
port=18092
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export KAPOK_LOG=warn KAPOK_RATE_LIMIT=0 KAPOK_LISTEN="127.0.0.1:$port" KAPOK_ADMIN_PASSWORD=bench-admin-password

rss() { awk '/VmRSS/ { printf "%.1f MB", $2 / 1024 }' "/proc/$1/status"; }
gql() { curl -sf -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} "http://127.0.0.1:$port/graphql" -d "$1"; }

echo "== server RSS (SQLite, Guangzhou)"
DATABASE_URL="sqlite://$dir/serve.db?mode=rwc" "$bin" serve > "$dir/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
sleep 1
echo "idle: $(rss $pid)"
login='{"query":"mutation { login(input: { username: \"admin\", password: \"bench-admin-password\" }) { accessToken } }"}'
for _ in $(seq 1 100); do gql "$login" >/dev/null; done
echo "after 100 sign-ins: $(rss $pid)"
sleep 5
echo "5 s later: $(rss $pid)"
token=$(gql "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')
cat > "$dir/load.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
wrk.body = '{"query":"{ units(under: \\\\"4401\\\\", level: COMMUNITY, first: 100) { totalCount edges { node { id code name } } } users(first: 20) { totalCount edges { node { id username } } } }"}'
EOF
wrk -t2 -c16 -d10s -s "$dir/load.lua" "http://127.0.0.1:$port/graphql" > "$dir/wrk.out" &
wrkpid=$!
peak=0
while kill -0 $wrkpid 2>/dev/null; do
  now=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status")
  [ "$now" -gt "$peak" ] && peak=$now
  sleep 0.2
done
grep -q "Non-2xx" "$dir/wrk.out" && { echo "errors under load" >&2; cat "$dir/wrk.out" >&2; exit 1; }
echo "under load (16 connections, peak of 0.2 s samples): $(awk -v k=$peak 'BEGIN { printf "%.1f MB", k / 1024 }') at $(awk '/Requests\/sec/ { print $2 }' "$dir/wrk.out") req/s"
sleep 2
echo "after load: $(rss $pid)"
kill $pid; wait $pid 2>/dev/null || true

import() {
  local label="$1" url="$2"
  /usr/bin/time -f "%e s, peak %M KB" -o "$dir/time" env DATABASE_URL="$url" \
    "$bin" import-divisions ../shared/data/divisions/china.csv.gz > /dev/null 2>&1
  echo "$label: $(awk '{ printf "%s s, peak %.0f MB", $1, $4 / 1024 }' "$dir/time")"
}
echo "== national import (665,276 rows)"
url="sqlite://$dir/import.db?mode=rwc"
DATABASE_URL="$url" "$bin" migrate > /dev/null 2>&1
import "SQLite first" "$url"
import "SQLite repeat" "$url"
admin_url="${pg_url%/*}/postgres"
dbname="${pg_url##*/}"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
DATABASE_URL="$pg_url" "$bin" migrate > /dev/null 2>&1
import "PostgreSQL first" "$pg_url"
import "PostgreSQL repeat" "$pg_url"
# The floor: the same file through psql's COPY into the same (migrated, indexed) table,
# then VACUUM (ANALYZE) as the import does, with nothing checked.
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
DATABASE_URL="$pg_url" KAPOK_LOAD_DIVISIONS=false "$bin" migrate > /dev/null 2>&1
start=$(date +%s.%N)
zcat ../shared/data/divisions/china.csv.gz |
  psql -q "$pg_url" -c "\\copy unit (code, name, level, parent_code) FROM pstdin WITH (FORMAT csv, HEADER true)"
psql -q "$pg_url" -c "VACUUM (ANALYZE) unit"
echo "PostgreSQL floor (psql COPY + VACUUM (ANALYZE)): $(echo "$(date +%s.%N) - $start" | bc) s"
psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $dbname"

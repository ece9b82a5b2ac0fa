#!/usr/bin/env bash
# Benchmark: p50/p99 of volunteers(under:"440104", first:100) as the city admin and
# of a street admin's volunteers(first:100), on Yuexiu-sized demo data (180,000
# volunteers, 1,400 teams, 227 organisations), and unitStats(code:"440104") with its
# children, against the release build; plus a year of activities and ~2 million
# service records, unitStats for a period, and a street admin's serviceRecords.
# Usage: bench/volunteers.sh [DATABASE_URL]   (needs wrk; loopback only, bounded)
# SKIP_DEMO=1 reuses a database that already holds the demo data. KAPOK_BIN runs
# another build (e.g. an older commit's, for a before/after comparison on one
# database) instead of building this one.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
url="${1:-sqlite://$(mktemp -d)/bench.db?mode=rwc}"
port=18090
# Rate limiting off: wrk sends everything from one address.
export DATABASE_URL="$url" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOG=warn KAPOK_ADMIN_PASSWORD=bench-admin-password KAPOK_RATE_LIMIT=0
if [ -z "${SKIP_DEMO:-}" ]; then
  time "$bin" demo-data --under 440104 --volunteers "${VOLUNTEERS:-180000}" --records "${RECORDS:-2000000}" --activities "${ACTIVITIES:-40000}"
fi
"$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
gql() { curl -sf -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} "http://127.0.0.1:$port/graphql" -d "$1"; }
token() { gql "{\"query\":\"mutation { login(input: { username: \\\"$1\\\", password: \\\"$2\\\" }) { accessToken } }\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'; }
admin=$(token admin bench-admin-password)
# The street admin exists already when the database is reused (SKIP_DEMO=1).
if uid=$(gql '{"query":"mutation { createUser(input: { username: \"bench_street\", password: \"bench-street-pw\", displayName: \"北京街道\", homeUnitCode: \"440104003\" }) { user { id } } }"}' "$admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createUser"]["user"]["id"])' 2>/dev/null); then
  gql "{\"query\":\"mutation { grantRole(input: { userId: \\\"$uid\\\", role: \\\"street_admin\\\", unitCode: \\\"440104003\\\" }) { assignment { id } } }\"}" "$admin" >/dev/null
fi
street=$(token bench_street bench-street-pw)
echo "district list as city admin:"; gql '{"query":"{ volunteers(under: \"440104\", first: 1) { totalCount } }"}' "$admin"; echo
TOKEN="$admin" QUERY=district wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"
echo "district list without totalCount:"
TOKEN="$admin" QUERY=district_page wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"
echo "unitStats of the district, with its 18 streets:"
gql '{"query":"{ unitStats(code: \"440104\") { figures { volunteers activitiesHeld hoursServed serviceRecords volunteersByStar { stars count } } } }"}' "$admin"; echo
TOKEN="$admin" QUERY=stats wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"
echo "unitStats of the district for a half year:"
TOKEN="$admin" QUERY=stats_year wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"
echo "street admin's own list:"; gql '{"query":"{ volunteers(first: 1) { totalCount } }"}' "$street"; echo
TOKEN="$street" QUERY=street wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"
echo "street admin's serviceRecords(first: 100):"
TOKEN="$street" QUERY=records wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/volunteers_query.lua "http://127.0.0.1:$port/graphql"

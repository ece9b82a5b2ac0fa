#!/usr/bin/env bash
# At city scale: Guangzhou (4401) with 2,000,000 volunteers, 40,000 activities,
# 2,000,000 service records and 200,000 donations (`kapok demo-data --under 4401
# --volunteers 2000000`), on PostgreSQL. The queries whose cost could grow with the
# data: name searches (a common surname, a full name, a name nobody has) with
# totalCount, a street admin's and the whole city's first page with totalCount, and
# unitStats of the city with its 11 districts and of one district with its streets.
# Prints req/s, p50 and p99 per query (wrk, 2 threads, 4 connections; CONNECTIONS=1
# for one client at a time).
#
# Usage: bench/scale.sh [DATABASE_URL]   (needs wrk, psql; loopback only)
# The default database is bench_scale on the local server; it is made and loaded
# unless SKIP_LOAD=1 (loading takes 10–15 minutes here). KAPOK_BIN runs another
# build on the loaded database (before/after: the older build first — a newer one
# migrates the database forward). DURATION (10 s), CONNECTIONS (4).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk psql python3; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
url="${1:-postgres://postgres@127.0.0.1:5432/bench_scale}"
duration="${DURATION:-10}"
conns="${CONNECTIONS:-4}"
threads=$(( conns < 2 ? conns : 2 ))
port=18092
work=$(mktemp -d)
export KAPOK_LOG=warn KAPOK_RATE_LIMIT=0 KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOAD_DIVISIONS=false
export DATABASE_URL="$url"

if [ -z "${SKIP_LOAD:-}" ]; then
  admin_url="${url%/*}/postgres"
  name="${url##*/}"
  psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
  "$bin" import-divisions ../shared/data/divisions/guangzhou.csv >/dev/null
  time "$bin" demo-data --under 4401 --volunteers 2000000
  echo 'bench-city-password' | "$bin" user create \
    --username bench_city --role city_admin --unit 4401 >/dev/null
  echo 'bench-street-password' | "$bin" user create \
    --username bench_street --role street_admin --unit 440104003 >/dev/null
fi

"$bin" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
. bench/lib.sh
city=$(token bench_city bench-city-password)
street=$(token bench_street bench-street-password)

page='edges { node { id volunteerNumber realName unitCode } }'
figures='volunteers newVolunteers partyMembers activitiesHeld peopleServed hoursServed serviceRecords hoursPerVolunteer volunteersByStar { stars count }'
declare -A doc=(
  [search_surname]="{ volunteers(search: \\\"张\\\", first: 20) { totalCount $page } }"
  [search_full_name]="{ volunteers(search: \\\"张子轩\\\", first: 20) { totalCount $page } }"
  [search_nobody]="{ volunteers(search: \\\"欧阳\\\", first: 20) { totalCount $page } }"
  [street_page]="{ volunteers(first: 100) { totalCount $page } }"
  [city_page]="{ volunteers(first: 100) { totalCount $page } }"
  [city_stats]="{ unitStats(code: \\\"4401\\\") { figures { $figures } children { unitCode figures { $figures } } } }"
  [district_stats]="{ unitStats(code: \\\"440104\\\") { figures { $figures } children { unitCode figures { $figures } } } }"
)
order="${WORKLOADS:-search_surname search_full_name search_nobody street_page city_page city_stats district_stats}"

printf '%-18s %10s %10s %10s  %s\n' query req/s p50_ms p99_ms answer
for name in $order; do
  tok="$city"
  [ "$name" != street_page ] || tok="$street"
  answer=$(answer_of "$name" "${doc[$name]}" "$tok")
  # What the answer says, briefly: the count (searches) or the city's volunteers.
  brief=$(python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
v = d.get("volunteers")
if v is not None:
    print("totalCount=%s page=%d" % (v["totalCount"], len(v["edges"])))
else:
    s = d["unitStats"]
    print("volunteers=%s children=%d" % (s["figures"]["volunteers"], len(s["children"])))
' <<<"$answer")
  wrk_lua "${doc[$name]}" "$tok" > "$work/$name.lua"
  read -r rps p50 p99 <<<"$(wrk_run "$name" "$work/$name.lua" "$work/$name.wrk" --timeout 30s)"
  printf '%-18s %10s %10s %10s  %s\n' "$name" "$rps" "$p50" "$p99" "$brief"
done

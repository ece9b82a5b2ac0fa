#!/usr/bin/env bash
# Benchmark (#11): p50/p99 of the district's unitStats with charity figures, a street
# fund manager's donations(first:100) with totalCount, and the anonymous disclosure
# page of a fund, on Yuexiu demo data (180,000 volunteers, ~2 million service records,
# ~200,000 donations), against the release build; then the time (and the server's
# peak memory) to export the district's year of donations as XLSX and as CSV.
# Usage: bench/charity.sh [DATABASE_URL]   (needs wrk; loopback only)
# SKIP_DEMO=1 reuses a database that already holds the demo data; VOLUNTEERS,
# RECORDS, ACTIVITIES and DONATIONS size it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
url="${1:-sqlite://$(mktemp -d)/bench.db?mode=rwc}"
port=18091
export DATABASE_URL="$url" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOG=warn KAPOK_ADMIN_PASSWORD=bench-admin-password KAPOK_RATE_LIMIT=0
if [ -z "${SKIP_DEMO:-}" ]; then
  time "$bin" demo-data --under 440104 --volunteers "${VOLUNTEERS:-180000}" --records "${RECORDS:-2000000}" \
    --activities "${ACTIVITIES:-40000}" --donations "${DONATIONS:-200000}"
fi
"$bin" serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
gql() { curl -sf -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} "http://127.0.0.1:$port/graphql" -d "$1"; }
token() { gql "{\"query\":\"mutation { login(input: { username: \\\"$1\\\", password: \\\"$2\\\" }) { accessToken } }\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'; }
admin=$(token admin bench-admin-password)
if uid=$(gql '{"query":"mutation { createUser(input: { username: \"bench_fund\", password: \"bench-fund-pw\", displayName: \"北京街道基金\", homeUnitCode: \"440104003\" }) { user { id } } }"}' "$admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["createUser"]["user"]["id"])' 2>/dev/null); then
  gql "{\"query\":\"mutation { grantRole(input: { userId: \\\"$uid\\\", role: \\\"fund_manager\\\", unitCode: \\\"440104003\\\" }) { assignment { id } } }\"}" "$admin" >/dev/null
fi
fm=$(token bench_fund bench-fund-pw)
fund=$(gql '{"query":"{ funds(under: \"440104003\", first: 1) { nodes { id } } }"}' "$fm" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["funds"]["nodes"][0]["id"])')
run() { echo "== $1"; TOKEN="$2" QUERY="$3" FUND="$fund" wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/charity_query.lua "http://127.0.0.1:$port/graphql" | grep -E "50%|99%|Requests/sec|Non-2xx"; }
echo "district unitStats with charity:"; gql '{"query":"{ unitStats(code: \"440104\") { streetsWithFund communitiesWithFund figures { charity { funds raisedFen donations disbursedFen balanceFen pledgesOpen } } } }"}' "$admin"; echo
run "unitStats(code: 440104) with charity, as the city admin" "$admin" stats
echo "fund manager's donations:"; gql '{"query":"{ donations(first: 1) { totalCount } }"}' "$fm"; echo
run "street fund manager's donations(first: 100) with totalCount" "$fm" donations
run "anonymous disclosure page of a fund" "" disclosure
hwm() { awk '/VmHWM/ { print $2 " kB" }' "/proc/$pid/status"; }
echo "server peak memory before the exports: $(hwm)"
for format in xlsx csv; do
  curl -sf -o "/tmp/kapok-bench-donations.$format" -w "export of the district's year of donations as $format: %{time_total} s, %{size_download} bytes\n" \
    -H "authorization: Bearer $admin" "http://127.0.0.1:$port/exports/donations?format=$format&under=440104&from=2025-11-30&to=2026-11-30"
  echo "server peak memory after the $format export: $(hwm)"
done
rm -f /tmp/kapok-bench-donations.xlsx /tmp/kapok-bench-donations.csv

#!/usr/bin/env bash
# Load test: p50/p99 latency of units(under:"4401", level: COMMUNITY, first: 100)
# against the release build, on SQLite (default) or on the DATABASE_URL given.
# Usage: bench/load.sh [DATABASE_URL]   (needs wrk: apt-get install wrk)
# Bounded: 2 threads, CONNECTIONS (10) connections, DURATION (20) seconds, loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --bin kapok
url="${1:-sqlite://$(mktemp -d)/bench.db?mode=rwc}"
port=18089
# Rate limiting off: wrk sends everything from one address.
DATABASE_URL="$url" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOG=warn KAPOK_RATE_LIMIT=0 target/release/kapok serve &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
# One request to check the answer before timing it.
curl -sf -H 'content-type: application/json' "http://127.0.0.1:$port/graphql" \
  -d '{"query":"{ units(under: \"4401\", level: COMMUNITY, first: 100) { totalCount } }"}'
echo
wrk -t2 -c"${CONNECTIONS:-10}" -d"${DURATION:-20}s" --latency -s bench/units_query.lua "http://127.0.0.1:$port/graphql"

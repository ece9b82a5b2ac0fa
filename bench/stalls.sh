#!/usr/bin/env bash
# Stalls under load: many short runs of one signed-in list instead of one long one,
# because a stall of half a second hides in a long run's p99 and a quiet run says
# nothing about the next. Per run: req/s, p50, p99 and the slowest request, and — when
# `perf` can record scheduler events (root) — the longest time a runnable PostgreSQL
# backend waited for a core. Prints the kernel's `sched_autogroup_enabled` first: with
# it on, the kernel scheduled PostgreSQL's backends as one group against wrk's and
# the server's, and starved single runnable backends for up to seconds on a saturated
# 2-core machine (README → Performance → "Stalls are the kernel's").
#
# Usage: bench/stalls.sh   (needs wrk, python3; perf optional; loopback only)
# Reuses the data and users `bench/compare.sh` loads (run that once first); PG_URL
# (default its bench_compare database), KAPOK_BIN (default target/release/kapok),
# RUNS (10), DURATION (8 s), CONNECTIONS (4), THREADS (2), DOCUMENT (the street
# admin's volunteers(first: 100) with totalCount, as compare.sh sends it).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/bench_compare}"
runs="${RUNS:-10}"
duration="${DURATION:-8}"
conns="${CONNECTIONS:-4}"
threads="${THREADS:-2}"
default_document='{ volunteers(first: 100) { totalCount edges { node { id volunteerNumber realName gender unitCode } } } }'
document="${DOCUMENT:-$default_document}"
port=18093
work=$(mktemp -d)
export KAPOK_LOG=warn KAPOK_RATE_LIMIT=0 KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOAD_DIVISIONS=false

. bench/lib.sh

# Scheduler events need perf and the right to trace every CPU; without them the
# column is left out rather than guessed.
sched=""
if command -v perf >/dev/null && perf sched record -a -o "$work/probe.data" -- true >/dev/null 2>&1; then
  sched=1
fi
autogroup_setting

DATABASE_URL="$pg_url" "$bin" serve > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.25; done
tok=$(token bench_street bench-street-password)
answer_of stalls "$document" "$tok" >/dev/null
wrk_lua "$document" "$tok" > "$work/doc.lua"
# Warm the plans, caches and pools first: the first seconds are not what is measured.
wrk -t"$threads" -c"$conns" -d2s -s "$work/doc.lua" "http://127.0.0.1:$port/graphql" > /dev/null

echo "| run | req/s | p50 ms | p99 ms | slowest ms |${sched:+ longest runnable wait of a PostgreSQL backend, ms |}"
echo "|---|---|---|---|---|${sched:+---|}"
for i in $(seq 1 "$runs"); do
  if [ -n "$sched" ]; then
    perf sched record -a -o "$work/sched.data" -- sleep $((duration + 1)) >/dev/null 2>&1 &
    recorder=$!
    sleep 0.3
  fi
  wrk_run "run $i" "$work/doc.lua" "$work/run.wrk" > "$work/figures"
  slowest=$(wrk_slowest < "$work/run.wrk")
  wait_ms=""
  if [ -n "$sched" ]; then
    wait "$recorder" || true
    # timehist's columns: time, cpu, task, wait time, scheduling delay, run time; a
    # backend's task name is "postgres[pid]", without spaces.
    wait_ms=$(perf sched timehist -i "$work/sched.data" 2>/dev/null |
      awk '$3 ~ /^postgres\[/ && $5 + 0 > m { m = $5 + 0 } END { printf "%.1f", m }')
  fi
  read -r rps p50 p99 < "$work/figures"
  echo "| $i | $rps | $p50 | $p99 | $slowest |${sched:+ $wait_ms |}"
done
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
trap - EXIT
rm -rf "$work"

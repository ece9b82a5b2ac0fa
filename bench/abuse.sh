#!/usr/bin/env bash
# Abuse benchmark: a cheap anonymous query's p50/p99 (wrk, 1 connection) and the
# server's peak RSS while attackers send what the hardening issue describes, one
# attack class at a time:
#   baseline       nothing else runs
#   fragments      4 clients, a 1 KB document of fragments doubling 26 times
#   aliases        4 clients, 4,999 aliases of units(first: 0, search: "社区") { totalCount }
#   legal-max      4 clients, the most expensive document the limits still allow
#   body-300mb     2 clients, 300 MB JSON bodies
#   multipart      1 client, a 500 MB multipart upload
#   signin-150     150 sign-ins at once (argon2 memory)
# Usage: bench/abuse.sh [BINARY] [DATABASE_URL]
#   BINARY defaults to a fresh release build of this checkout (pass an older build
#   to measure "before"); DATABASE_URL to a new SQLite file with Guangzhou loaded.
# Needs wrk, curl, python3. DURATION (default 12 s) per attack; ONLY="fragments
# aliases" runs just those. Loopback only.
# Columns: the cheap query's p50/p99 and request count during the attack, the
# server's peak RSS during it, and its RSS when the attack stopped.
# Rate limiting is off here (KAPOK_RATE_LIMIT=0): every client shares 127.0.0.1,
# and the point is what the server bears when attackers come from many addresses.
# The load generators share this machine's two cores with the server: the 4
# attacking clients run on one wrk thread, the measured client on another.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
bin="${1:-}"
if [ -z "$bin" ]; then
  cargo build --release --bin kapok
  bin=target/release/kapok
fi
work=$(mktemp -d)
url="${2:-sqlite://$work/abuse.db?mode=rwc}"
port=${PORT:-18091}
duration=${DURATION:-12}
base="http://127.0.0.1:$port"

pid=""
# Each attack class gets a freshly started server (same database), so memory one
# attack left behind does not show up in the next one's peak.
start_server() {
  DATABASE_URL="$url" KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOG=error KAPOK_RATE_LIMIT=0 \
    KAPOK_ADMIN_PASSWORD=abuse-bench-password "$bin" serve >>"$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf "$base/healthz" >/dev/null && return; sleep 0.5; done
  echo "the server did not start" >&2
  exit 1
}
stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap 'stop_server; pkill -P $$ 2>/dev/null || true; rm -rf "$work"' EXIT
start_server

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def lua(name, body, headers=None):
    headers = headers or {"Content-Type": "application/json"}
    with open(f"{work}/{name}.body", "w") as f:
        f.write(body)
    h = "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items())
    with open(f"{work}/{name}.lua", "w") as f:
        f.write(f'wrk.method = "POST"\n{h}\nlocal f = io.open("{work}/{name}.body")\nwrk.body = f:read("*a")\nf:close()\n')
q = "query { ...F26 }\nfragment F0 on Query { __typename }\n" + "".join(
    f"fragment F{i} on Query {{ ...F{i-1} ...F{i-1} }}\n" for i in range(1, 27))
lua("fragments", json.dumps({"query": q}))
q = "{ " + " ".join(f'a{i}: units(first: 0, search: "社区") {{ totalCount }}' for i in range(4999)) + " }"
lua("aliases", json.dumps({"query": q}))
# The most a document may ask for under the default limits (complexity 5,000,
# 30 aliases, 20 top-level fields): a full page of communities found by name with
# their parents and a count, and 12 more counts by name over all 3,041 units.
page = 'p: units(first: 100, search: "社区") { totalCount edges { node { code name level parent { code name } } } }'
counts = " ".join(f'c{i}: units(first: 1, search: "{s}") {{ totalCount }}' for i, s in enumerate(
    ["街道", "社区", "村", "镇", "区", "居委会", "委会", "东", "西", "南", "北", "中"]))
lua("legal", json.dumps({"query": "{ " + page + " " + counts + " }"}))
lua("cheap", json.dumps({"query": '{ unit(code: "440104") { name } }'}))
PY

# The legal document must be legal.
curl -s -H 'content-type: application/json' --data-binary @"$work/legal.body" "$base/graphql" | python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("errors"):
    sys.exit("the legal-max document is refused: %s" % r["errors"][0]["message"])'

peak_rss() { # samples VmRSS (kB) of $pid until $1 exists, prints the peak in MB
  local stop=$1 peak=0
  while [ ! -e "$stop" ]; do
    local r
    r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${r:-0}" -gt "$peak" ] && peak=$r
    sleep 0.1
  done
  echo $((peak / 1024))
}

measure() { # $1 label, $2 command that runs the attack in the background
  local label=$1 attack=$2 stop="$work/stop.$1"
  case " ${ONLY:-$label} " in *" $label "*) ;; *) return 0 ;; esac
  stop_server
  start_server
  peak_rss "$stop" >"$work/rss.$label" &
  local sampler=$!
  local attacker=""
  if [ -n "$attack" ]; then
    # The attackers would be other machines: here they run at a lower priority so
    # that their own CPU use does not stand in for the server's.
    nice -n 10 bash -c "$attack" >/dev/null 2>&1 &
    attacker=$!
    sleep 1
  fi
  wrk -t1 -c1 -d"${duration}s" --latency --timeout 30s -s "$work/cheap.lua" "$base/graphql" >"$work/wrk.$label" 2>&1 || true
  if [ -n "$attacker" ]; then
    pkill -P "$attacker" 2>/dev/null || true
    kill "$attacker" 2>/dev/null || true
    wait "$attacker" 2>/dev/null || true
  fi
  touch "$stop"
  wait "$sampler"
  local p50 p99 reqs
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk.$label")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.$label")
  reqs=$(awk '/requests in/ {print $1}' "$work/wrk.$label")
  local after
  after=$(( $(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0) / 1024 ))
  printf '| %-11s | %9s | %9s | %6s | %12s MB | %6s MB |\n' "$label" "${p50:--}" "${p99:--}" "${reqs:--}" "$(cat "$work/rss.$label")" "$after"
}

big_body() { # a 300 MB JSON body, made once
  [ -e "$work/big.json" ] || python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("{\"query\":\"{ __typename }\",\"variables\":{\"x\":\"")
    chunk = "a" * (1 << 20)
    for _ in range(300):
        f.write(chunk)
    f.write("\"}}")' "$work/big.json"
}
big_body
head -c $((500 * 1024 * 1024)) /dev/zero >"$work/big.bin"

w4="wrk -t1 -c4 -d$((duration + 2))s --timeout 30s"
echo "binary: $bin   database: ${url%%\?*}   $duration s per attack, cheap query = unit(code: \"440104\") { name }, 1 connection"
echo
echo '| attack      | cheap p50 | cheap p99 | cheap requests | server peak RSS | RSS after |'
echo '|-------------|-----------|-----------|--------|-----------------|-----------|'
measure baseline ""
measure fragments "$w4 -s $work/fragments.lua $base/graphql"
measure aliases "$w4 -s $work/aliases.lua $base/graphql"
measure legal-max "$w4 -s $work/legal.lua $base/graphql"
measure body-300mb "for c in 1 2; do (while true; do curl -s -o /dev/null -H 'content-type: application/json' --data-binary @$work/big.json $base/graphql; done) & done; wait"
measure multipart "while true; do curl -s -o /dev/null -F 'operations={\"query\":\"{ __typename }\"}' -F 'map={}' -F 'f=@$work/big.bin' $base/graphql; done"
measure signin-150 "for i in \$(seq 1 150); do curl -s -o /dev/null -H 'content-type: application/json' -d '{\"query\":\"mutation { login(input: {username: \\\"user\$i\\\", password: \\\"wrong-password-\$i\\\"}) { accessToken } }\"}' $base/graphql & done; wait; sleep $duration"

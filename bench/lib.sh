# Shared by the bench scripts that source it (compare.sh, scale.sh): talking to the
# server under test on 127.0.0.1:$port, and reading wrk's output.

# gql DOCUMENT_JSON [TOKEN]: POST one GraphQL request.
gql() { curl -sf -H 'content-type: application/json' ${2:+-H "authorization: Bearer $2"} "http://127.0.0.1:$port/graphql" -d "$1"; }

# token USERNAME PASSWORD: sign in and print the access token.
token() {
  gql "{\"query\":\"mutation { login(input: { username: \\\"$1\\\", password: \\\"$2\\\" }) { accessToken } }\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'
}

# answer_of NAME DOCUMENT [TOKEN]: the server's answer to DOCUMENT, or exit when it
# is an error — a workload that measures errors measures nothing.
answer_of() {
  local answer
  answer=$(gql "{\"query\":\"$2\"}" "${3:-}")
  if ! grep -q '"data":{' <<<"$answer" || grep -q '"errors"' <<<"$answer"; then
    echo "$1: unexpected answer: $answer" >&2
    exit 1
  fi
  printf '%s\n' "$answer"
}

# wrk_lua DOCUMENT [TOKEN] > script.lua: a wrk script that POSTs DOCUMENT (a GraphQL
# query with its quotes escaped for JSON, as the scripts keep them).
wrk_lua() {
  echo 'wrk.method = "POST"'
  echo 'wrk.headers["Content-Type"] = "application/json"'
  [ -z "${2:-}" ] || echo "wrk.headers[\"Authorization\"] = \"Bearer $2\""
  echo "wrk.body = '{\"query\":\"$(sed 's/\\/\\\\/g' <<<"$1")\"}'"
}

# wrk_run NAME LUA OUT [WRK ARGS...]: load the server with LUA ($threads threads,
# $conns connections, $duration s), keep wrk's output in OUT, exit on non-2xx
# answers, print "req/s p50_ms p99_ms".
wrk_run() {
  local name="$1" lua="$2" out="$3"
  shift 3
  wrk -t"$threads" -c"$conns" -d"${duration}s" "$@" --latency -s "$lua" "http://127.0.0.1:$port/graphql" > "$out"
  if grep -q "Non-2xx" "$out"; then
    echo "$name: non-2xx answers under load" >&2
    exit 1
  fi
  wrk_figures < "$out"
}

# The kernel's group scheduling, which decides whether PostgreSQL's backends starve
# on a saturated shared host (README → "Stalls are the kernel's"), as a line to print
# above a table measured under it.
autogroup_setting() {
  echo "kernel.sched_autogroup_enabled = $(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo unknown)"
}

# awk: one of wrk's durations ("850.00us", "2.19ms", "1.21s") in milliseconds.
wrk_ms_awk='function ms(x, u) { u = x; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", x)
                                if (u == "us") return x / 1000; if (u == "s") return x * 1000; return x + 0 }'

# wrk's latency lines to "req/s p50_ms p99_ms".
wrk_figures() {
  awk "$wrk_ms_awk"'
       /Requests\/sec/ { rps=$2 }
       /^ +50%/ { p50=$2 } /^ +99%/ { p99=$2 }
       END { printf "%.0f %.2f %.2f\n", rps, ms(p50), ms(p99) }'
}

# wrk's output to its slowest request in ms (the Latency line's Max).
wrk_slowest() {
  awk "$wrk_ms_awk"' /Latency/ { printf "%.1f\n", ms($4); exit }'
}

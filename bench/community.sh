#!/usr/bin/env bash
# Benchmark (#12): p50/p99 of the anonymous public activity browse under a district,
# a street admin's help-request list (first: 20, with totalCount) and a volunteer's
# dashboard, on Yuexiu demo data (180,000 volunteers, ~2 million service records,
# ~200,000 donations, and the community data: help requests, time-bank accounts,
# supermarkets), against the release build.
# Usage: bench/community.sh [DATABASE_URL]   (needs wrk; loopback only)
# SKIP_DEMO=1 reuses a database that already holds the demo data; VOLUNTEERS,
# RECORDS, ACTIVITIES and DONATIONS size it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
url="${1:-sqlite://$(mktemp -d)/bench.db?mode=rwc}"
port=18092
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
field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d' + sys.argv[1]))" "$1"; }
token() { gql "{\"query\":\"mutation { login(input: { username: \\\"$1\\\", password: \\\"$2\\\" }) { accessToken } }\"}" | field '["data"]["login"]["accessToken"]'; }
admin=$(token admin bench-admin-password)
user() { # username role unit -> creates the user with the role (once)
  if uid=$(gql "{\"query\":\"mutation { createUser(input: { username: \\\"$1\\\", password: \\\"$1-password\\\", displayName: \\\"$1\\\", homeUnitCode: \\\"$3\\\" }) { user { id } } }\"}" "$admin" | field '["data"]["createUser"]["user"]["id"]' 2>/dev/null); then
    [ -z "$2" ] || gql "{\"query\":\"mutation { grantRole(input: { userId: \\\"$uid\\\", role: \\\"$2\\\", unitCode: \\\"$3\\\" }) { assignment { id } } }\"}" "$admin" >/dev/null
    echo "$uid"
  fi
}
user bench_street street_admin 440104003 >/dev/null || true
street=$(token bench_street bench_street-password)
# A volunteer serving itself: registered with an account, signed up for three
# upcoming activities, with approved hours this year (deposited in the time bank).
if vuid=$(user bench_vol "" 440104003108); then
  gql "{\"query\":\"mutation { registerVolunteer(input: { realName: \\\"测试志愿者\\\", idType: RESIDENT_ID, idNumber: \\\"440104195503010012\\\", unitCode: \\\"440104003108\\\", userId: \\\"$vuid\\\", fields: [\\\"elderly_care\\\"] }) { volunteer { id } } }\"}" "$admin" >/dev/null
  gql "{\"query\":\"mutation { grantRole(input: { userId: \\\"$vuid\\\", role: \\\"volunteer\\\", unitCode: \\\"440104003108\\\" }) { assignment { id } } }\"}" "$admin" >/dev/null
  vol=$(token bench_vol bench_vol-password)
  vid=$(gql '{"query":"{ myDashboard { volunteer { id } } }"}' "$vol" | field '["data"]["myDashboard"]["volunteer"]["id"]')
  for a in $(gql '{"query":"{ publicActivities(under: \"440104003\", first: 3) { nodes { id } } }"}' | python3 -c 'import json,sys; print(" ".join(n["id"] for n in json.load(sys.stdin)["data"]["publicActivities"]["nodes"]))'); do
    gql "{\"query\":\"mutation { signUp(input: { activityId: \\\"$a\\\", volunteerId: \\\"$vid\\\" }) { signup { id } } }\"}" "$admin" >/dev/null
  done
  for _ in 1 2 3 4 5; do
    rid=$(gql "{\"query\":\"mutation { logHours(input: { hours: 3, content: \\\"社区值守\\\", startedAt: \\\"$(date -u -d '-2 days' +%FT%TZ)\\\" }) { serviceRecord { id } } }\"}" "$vol" | field '["data"]["logHours"]["serviceRecord"]["id"]')
    gql "{\"query\":\"mutation { approveServiceRecord(input: { id: \\\"$rid\\\" }) { serviceRecord { id } } }\"}" "$admin" >/dev/null
  done
fi
vol=$(token bench_vol bench_vol-password)
run() { echo "== $1"; TOKEN="$2" QUERY="$3" wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-4}" -d"${DURATION:-15}s" --latency -s bench/community_query.lua "http://127.0.0.1:$port/graphql" | grep -E "50%|99%|Requests/sec|Non-2xx"; }
echo "public browse:"; gql '{"query":"{ publicActivities(under: \"440104\", first: 1) { totalCount } }"}'; echo
run "anonymous publicActivities(under: 440104, first: 20) with totalCount" "" browse
echo "street help requests:"; gql '{"query":"{ helpRequests(first: 1) { totalCount } }"}' "$street"; echo
run "street admin's helpRequests(first: 20) with totalCount" "$street" help
echo "dashboard:"; gql '{"query":"{ myDashboard { hoursThisYear timeBalanceMinutes upcomingSignups { totalCount } } }"}' "$vol"; echo
run "volunteer's myDashboard" "$vol" dashboard

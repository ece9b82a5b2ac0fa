#!/usr/bin/env bash
# Kapok against its floor, in one go on one machine: each workload through Kapok
# (HTTP + GraphQL, wrk) and the same SQL statements with nothing around them (pgbench
# on PostgreSQL, prepared, without TLS: the database's own limit; a Python loop over one
# connection on SQLite, the embedded mode's own shape), then a table of req/s, p50, p99
# and Kapok's fraction of the floor.
#
# Workloads: the units workload (anonymous) — communities under 4401 with totalCount,
# one unit by code, communities under 11 — and the scoped workload — a street admin's
# (北京街道, 440104003) and a district admin's (Yuexiu, 440104) volunteers(first: 100)
# with totalCount.
# Data: the national divisions (665,276 units) and Yuexiu's volunteers (180,000; no
# activities, records or donations: the lists do not read them).
#
# Usage: bench/compare.sh            (needs wrk, pgbench, python3; loopback only)
# DATABASES="postgres sqlite" (default both), PG_URL (default a bench_compare
# database on the local server, dropped and made again), SQLITE_DIR, SKIP_LOAD=1 to
# reuse loaded databases, KAPOK_BIN to run another build on them (before/after),
# DURATION (10 s), CONNECTIONS (16), THREADS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wrk pgbench python3 psql; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed" >&2; exit 1; }
done
bin="${KAPOK_BIN:-target/release/kapok}"
[ -n "${KAPOK_BIN:-}" ] || cargo build --release --bin kapok
pg_url="${PG_URL:-postgres://postgres@127.0.0.1:5432/bench_compare}"
sqlite_dir="${SQLITE_DIR:-/tmp/kapok-compare}"
duration="${DURATION:-10}"
conns="${CONNECTIONS:-16}"
threads="${THREADS:-2}"
port=18091
work=$(mktemp -d)
results="$work/results"
kept_subtrees=0
: > "$results"
export KAPOK_LOG=warn KAPOK_RATE_LIMIT=0 KAPOK_LISTEN="127.0.0.1:$port" KAPOK_LOAD_DIVISIONS=false
export KAPOK_ADMIN_PASSWORD=bench-admin-password KAPOK_ADMIN_UNIT=4401

load() {
  local url="$1"
  echo "loading $url"
  DATABASE_URL="$url" "$bin" import-divisions ../shared/data/divisions/china.csv.gz >/dev/null
  DATABASE_URL="$url" "$bin" demo-data --under 440104 --volunteers 180000 \
    --activities 0 --records 0 --donations 0 >/dev/null
  echo 'bench-street-password' | DATABASE_URL="$url" "$bin" user create \
    --username bench_street --role street_admin --unit 440104003 >/dev/null
  echo 'bench-district-password' | DATABASE_URL="$url" "$bin" user create \
    --username bench_district --role district_admin --unit 440104 >/dev/null
}

. bench/lib.sh

# The documents: one per workload, as wrk sends them.
declare -A doc=(
  [units_city]='{ units(under: \"4401\", level: COMMUNITY, first: 100) { totalCount edges { node { id code name level } } } }'
  [unit_by_code]='{ unit(code: \"440104003\") { id code name level } }'
  [units_province]='{ units(under: \"11\", level: COMMUNITY, first: 100) { totalCount edges { node { id code name level } } } }'
  [street_volunteers]='{ volunteers(first: 100) { totalCount edges { node { id volunteerNumber realName gender unitCode } } } }'
  [district_volunteers]='{ volunteers(first: 100) { totalCount edges { node { id volunteerNumber realName gender unitCode } } } }'
)
order="${WORKLOADS:-units_city unit_by_code units_province street_volunteers district_volunteers}"

run_kapok() {
  local db="$1" name="$2" tok="$3"
  local lua="$work/$name.lua"
  answer_of "$name" "${doc[$name]}" "$tok" >/dev/null
  wrk_lua "${doc[$name]}" "$tok" > "$lua"
  local figures
  figures=$(wrk_run "$name" "$lua" "$work/$db-$name.wrk")
  echo "$db $name kapok $figures" | tee -a "$results"
}

# The floor: the statements Kapok runs for the data of one request of each workload,
# as it sends them (read off PostgreSQL's statement log), with their values. Units are
# public: the `under` unit's existence, the count and the page. The scoped lists are
# what a signed-in request needs for its data — one statement: the page with the
# columns its selection reads (id, volunteer number, name, gender, unit: 5 of 19) and
# beside its rows the count, summed from kept monthly figures — not the reading of
# the caller's session, user and roles, which Kapok may keep between requests.
floor_sql() {
  local name="$1"
  local unit_cols='"unit"."id", "unit"."code", "unit"."name", "unit"."level", "unit"."parent_code", "unit"."created_at", "unit"."updated_at"'
  local vol_cols='"volunteer"."id", "volunteer"."volunteer_number", "volunteer"."real_name", "volunteer"."gender", "volunteer"."unit_code"'
  local under="" lo="" hi=""
  case "$name" in
    units_city) under=4401 lo=4401 hi=4402 ;;
    units_province) under=11 lo=11 hi=12 ;;
    street_volunteers) lo=440104003 hi=440104004 ;;
    district_volunteers) lo=440104 hi=440105 ;;
  esac
  case "$name" in
    units_city|units_province) cat <<EOF
SELECT $unit_cols FROM "unit" WHERE "unit"."code" = '$under' LIMIT 1;
SELECT COUNT(*) AS num_items FROM (SELECT $unit_cols FROM "unit" WHERE "unit"."level" = 'community' AND ("unit"."code" >= '$lo' AND "unit"."code" < '$hi' AND "unit"."code" <> '$under')) AS "sub_query";
SELECT $unit_cols FROM "unit" WHERE "unit"."level" = 'community' AND ("unit"."code" >= '$lo' AND "unit"."code" < '$hi' AND "unit"."code" <> '$under') ORDER BY "unit"."code" ASC LIMIT 101;
EOF
    ;;
    unit_by_code) cat <<EOF
SELECT $unit_cols FROM "unit" WHERE "unit"."code" = '440104003' LIMIT 1;
EOF
    ;;
    street_volunteers|district_volunteers)
      # A district's count is its kept subtree's months where the build keeps them
      # (subtree_monthly), else its units' months; a street's is always its units'.
      local beside="SELECT CAST(SUM(volunteers) AS BIGINT) AS \"n\" FROM \"unit_monthly\" WHERE \"unit_monthly\".\"unit_code\" >= '$lo' AND \"unit_monthly\".\"unit_code\" < '$hi'"
      if [ "$name" = district_volunteers ] && [ "$kept_subtrees" = 1 ]; then
        beside="SELECT CAST(SUM(volunteers) AS BIGINT) AS \"n\" FROM \"subtree_monthly\" WHERE \"subtree_monthly\".\"unit_code\" IN ('$lo')"
      fi
      cat <<EOF
SELECT $vol_cols, ($beside) AS "kapok_beside" FROM "volunteer" WHERE "volunteer"."unit_code" >= '$lo' AND "volunteer"."unit_code" < '$hi' ORDER BY "volunteer"."unit_code" ASC, "volunteer"."id" ASC LIMIT 101;
EOF
    ;;
  esac
}

run_floor_pg() {
  local name="$1" sql="$work/$1.sql"
  floor_sql "$name" > "$sql"
  (cd "$work" && rm -f "pgbench_log."* &&
    PGSSLMODE=disable pgbench -n -M prepared -c "$conns" -j "$threads" -T "$duration" -l -f "$sql" "$pg_url" > "$work/pg-$name.pgbench" 2>&1)
  local figures
  figures=$(python3 - "$work" "$work/pg-$name.pgbench" <<'EOF'
import glob, re, sys
work, out = sys.argv[1], sys.argv[2]
lat = []
for f in glob.glob(work + "/pgbench_log.*"):
    for line in open(f):
        lat.append(int(line.split()[2]) / 1000.0)
lat.sort()
tps = float(re.search(r"tps = ([0-9.]+)", open(out).read()).group(1))
print("%.0f %.2f %.2f" % (tps, lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))
EOF
)
  echo "postgres $name floor $figures" | tee -a "$results"
}

run_floor_sqlite() {
  local name="$1" file="$2" sql="$work/$1.sql"
  floor_sql "$name" > "$sql"
  local figures
  figures=$(python3 - "$file" "$sql" "$duration" <<'EOF'
import sqlite3, sys, time
db, sqlfile, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
statements = [s.strip() for s in open(sqlfile).read().split(";") if s.strip()]
conn = sqlite3.connect(db)
lat = []
end = time.perf_counter() + duration
while time.perf_counter() < end:
    t = time.perf_counter()
    for s in statements:
        conn.execute(s).fetchall()
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
print("%.0f %.2f %.2f" % (len(lat) / duration, lat[len(lat) // 2], lat[int(len(lat) * 0.99)]))
EOF
)
  echo "sqlite $name floor $figures" | tee -a "$results"
}

measure() {
  local db="$1" url="$2"
  DATABASE_URL="$url" "$bin" serve > "$work/$db-serve.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
  # Whether this build (which migrated the database on start) keeps subtree sums.
  if [ "$db" = postgres ]; then
    kept_subtrees=$(psql -tAq "$pg_url" -c "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'subtree_monthly'")
  else
    kept_subtrees=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM sqlite_master WHERE name = ?", ("subtree_monthly",)).fetchone()[0])' "$sqlite_dir/bench.db")
  fi
  local street district
  street=$(token bench_street bench-street-password)
  district=$(token bench_district bench-district-password)
  for name in $order; do
    local tok=""
    case "$name" in
      street_volunteers) tok="$street" ;;
      district_volunteers) tok="$district" ;;
    esac
    run_kapok "$db" "$name" "$tok"
    if [ "$db" = postgres ]; then run_floor_pg "$name"; else run_floor_sqlite "$name" "$sqlite_dir/bench.db"; fi
  done
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  trap - EXIT
}

for db in ${DATABASES:-postgres sqlite}; do
  case "$db" in
    postgres)
      if [ -z "${SKIP_LOAD:-}" ]; then
        admin_url="${pg_url%/*}/postgres"
        dbname="${pg_url##*/}"
        psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
        load "$pg_url"
      fi
      measure postgres "$pg_url"
      ;;
    sqlite)
      url="sqlite://$sqlite_dir/bench.db?mode=rwc"
      if [ -z "${SKIP_LOAD:-}" ]; then
        rm -rf "$sqlite_dir" && mkdir -p "$sqlite_dir"
        load "$url"
      fi
      measure sqlite "$url"
      ;;
  esac
done

echo
autogroup_setting
echo "| database | workload | Kapok req/s | p50 ms | p99 ms | floor req/s | p50 ms | p99 ms | fraction |"
echo "|---|---|---|---|---|---|---|---|---|"
python3 - "$results" <<'EOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    db, name, who, rps, p50, p99 = line.split()
    rows.setdefault((db, name), {})[who] = (float(rps), p50, p99)
for (db, name), r in rows.items():
    k, f = r.get("kapok"), r.get("floor")
    if not k or not f:
        continue
    print("| %s | %s | %.0f | %s | %s | %.0f | %s | %s | %.0f %% |" % (
        db, name, k[0], k[1], k[2], f[0], f[1], f[2], 100 * k[0] / f[0]))
EOF
rm -rf "$work"

#!/usr/bin/env bash
# Server time of the dashboard, unit and hall pages on loopback, with a logged-in
# cookie: each page is fetched by one wrk connection for DURATION seconds (bounded),
# and the server's own access log (microseconds per request) gives the median, p95
# and max server time; the server's CPU time (utime + stime) over the run divided by
# the requests gives CPU ms per page, which a busy shared machine disturbs less than
# wall time; wrk gives the rate. Prints a Markdown table.
# Usage: bench/bench_pages.sh [DURATION] [DB]
#   DB: an existing database to copy, e.g. the province-size one that
#   `build/bench_scores /tmp/province.db` leaves behind (1 company, 4 departments, 200
#   stations, 2,000 halls; its survey and meter rows are aggregates only); default: a
#   fresh `gridscore init --demo`. The copy gets the bench logins; DB is not changed. GS_BIN picks the binary (default ./build/gridscore).
# RAW=N adds N raw responses to the copy (the province has aggregates only): spread over
#   every hall and the last 365 days, one in five with a comment, written with SQL and
#   marked as folded, so the aggregates stay the bench's and the pages' raw-row readers
#   (newest comments, exports, verified-only heatmaps) have a province's worth to read.
# After the pages, two more rows: a response is submitted to the station's hall, and the
#   dashboard is fetched once at once ("new data, at once": scores computed by the page)
#   and once after another response and 3 s ("new data, after 3 s": the server's warmer
#   had time to compute them).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-5}
src_db=${2:-}
bin=${GS_BIN:-./build/gridscore}
[ -x "$bin" ] || { echo "build first: $bin is missing" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT
if [ -n "$src_db" ]; then
  "$bin" --db "$src_db" backup "$work/g.db" >/dev/null
else
  "$bin" --db "$work/g.db" init --demo >/dev/null
fi
"$bin" --db "$work/g.db" init >/dev/null
echo "bench-password-1" | "$bin" --db "$work/g.db" user add bench-mgr --role manager >/dev/null
station=$(sqlite3 "$work/g.db" "SELECT code FROM units WHERE kind = 'station' ORDER BY code LIMIT 1")
echo "bench-password-2" | "$bin" --db "$work/g.db" user add bench-st --role station --unit "$station" >/dev/null
company=$(sqlite3 "$work/g.db" "SELECT code FROM units WHERE kind = 'company'")
dept=$(sqlite3 "$work/g.db" "SELECT code FROM units WHERE kind = 'department' ORDER BY code LIMIT 1")
hall=$(sqlite3 "$work/g.db" "SELECT h.code FROM halls h JOIN units u ON u.id = h.station_id WHERE u.code = '$station' ORDER BY h.code LIMIT 1")
if [ "${RAW:-0}" -gt 0 ]; then
  now=$(date +%s)
  sqlite3 "$work/g.db" <<SQL >/dev/null
INSERT OR IGNORE INTO survey_forms(form_id, version, sha256, source, loaded_at)
  VALUES('bench-raw', '1', 'bench', '<bench/>', $now);
CREATE TEMP TABLE hl(k INTEGER PRIMARY KEY, id INTEGER NOT NULL);
INSERT INTO hl SELECT row_number() OVER (ORDER BY id) - 1, id FROM halls;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${RAW}),
  r(i, t, h) AS (SELECT i, $now - 365 * 86400 + i * (365 * 86400 / ${RAW}), (i * 2654435761) % (SELECT count(*) FROM hl) FROM n)
INSERT INTO survey_responses(hall_id, form, submitted_at, day, hour, rating, satisfied, answers, comment, verified,
                             instance, duration_s)
  SELECT (SELECT id FROM hl WHERE k = r.h), (SELECT id FROM survey_forms WHERE form_id = 'bench-raw'), t,
         date(t + 8 * 3600, 'unixepoch'), CAST(strftime('%H', t + 8 * 3600, 'unixepoch') AS INTEGER), 1 + i % 5,
         i % 5 >= 3, '{"rating":"' || (1 + i % 5) || '"}', CASE WHEN i % 5 = 0 THEN 'bench comment ' || i END,
         i % 3 = 0, 'bench-raw-' || i, 60
  FROM r;
INSERT INTO settings(name, value) VALUES('survey.folded_upto', (SELECT max(id) FROM survey_responses))
  ON CONFLICT(name) DO UPDATE SET value = excluded.value;
SQL
fi
"$bin" --db "$work/g.db" serve --listen 127.0.0.1:0 --threads "${THREADS:-2}" >"$work/port" 2>"$work/log" &
pid=$!
for _ in $(seq 100); do grep -qs listening "$work/port" && break; sleep 0.1; done
port=$(awk '/listening/ {print $4}' "$work/port")
base="http://127.0.0.1:$port"

login() { # login password → the session id
  local jar="$work/jar-$1" page csrf
  page=$(curl -s -c "$jar" "$base/login")
  csrf=$(printf '%s' "$page" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" -d "login=$1" -d "password=$2" "$base/login"
  awk '$6=="gs_session" {print $7}' "$jar"
}
sid_mgr=$(login bench-mgr bench-password-1)
sid_st=$(login bench-st bench-password-2)

run() { # label, session, path
  local label=$1 sid=$2 path=$3 status out rps first
  : >"$work/log"
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: gs_session=$sid" "$base$path")
  # the first request of a page (the first of all loads the in-memory copy of the unit rows)
  # (the access line is written when the response is done: wait for it, at most 2 s)
  for _ in $(seq 40); do grep -q ' access GET ' "$work/log" && break; sleep 0.05; done
  first=$(awk '$0 ~ / access GET / {us = $NF} END {print us + 0}' "$work/log")
  : >"$work/log"
  local cpu0 cpu1
  cpu0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  out=$(wrk -t1 -c1 -d"${duration}s" -H "Cookie: gs_session=$sid" "$base$path")
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  cpu1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  # access METHOD PATH STATUS BYTES MICROSECONDS
  awk '$0 ~ / access GET / {print $NF}' "$work/log" | sort -n >"$work/us"
  awk -v label="$label" -v path="$path" -v status="$status" -v rps="$rps" \
      -v ticks=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v first="$first" '
    { a[NR] = $1 }
    END {
      if (NR == 0) { printf "| %s | `%s` | %s | %.1f | - | - | - | - | %s |\n", label, path, status, first / 1000, rps; exit }
      p50 = a[int((NR + 1) * 0.50)]; p95 = a[int(NR * 0.95) > 0 ? int(NR * 0.95) : 1]; mx = a[NR]
      printf "| %s | `%s` | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %s |\n", label, path, status, first / 1000,
             p50 / 1000, p95 / 1000, mx / 1000, ticks * 1000 / hz / NR, rps
    }' "$work/us"
}

echo "$bin (tree $(git rev-parse --short HEAD 2>/dev/null || echo '?')), $(nproc) cores, wrk -t1 -c1 -d${duration}s per page, server --threads ${THREADS:-2}"
# the province database (bench_scores) has aggregates without raw rows: count both
echo "responses: $(sqlite3 "$work/g.db" 'SELECT count(*) FROM survey_responses') raw rows," \
  "$(sqlite3 "$work/g.db" 'SELECT coalesce(sum(n1 + n2 + n3 + n4 + n5), 0) FROM survey_daily WHERE scope > 0') in the hall aggregates;" \
  "metering points: $(sqlite3 "$work/g.db" 'SELECT count(*) FROM meter_points' 2>/dev/null || echo '?') rows," \
  "$(sqlite3 "$work/g.db" 'SELECT coalesce(sum(points), 0) FROM meter_daily d WHERE day = (SELECT max(day) FROM meter_daily x WHERE x.station_id = d.station_id)') in the daily totals;" \
  "units: $(sqlite3 "$work/g.db" 'SELECT count(*) FROM units'), halls: $(sqlite3 "$work/g.db" 'SELECT count(*) FROM halls')"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| page | path | status | first ms | median ms | p95 ms | max ms | CPU ms/req | req/s |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run "dashboard (manager)" "$sid_mgr" "/"
run "dashboard, 2025, verified only" "$sid_mgr" "/?period=2025&verified=only"
run "company" "$sid_mgr" "/units/$company"
run "department" "$sid_mgr" "/units/$dept"
run "station" "$sid_mgr" "/units/$station"
run "hall" "$sid_mgr" "/halls/$hall"
run "dashboard (station login)" "$sid_st" "/"
run "hall (station login)" "$sid_st" "/halls/$hall"

# New data: a response at the station's hall, then the dashboard at once (the page
# computes the scores' new version) and, after another response, 3 s later (the warmer
# has computed it). Each row is one request's server time.
url=$("$bin" --db "$work/g.db" qr "$hall" --base-url "$base" 2>&1 >/dev/null)
submit() {
  local page stamp inst
  page=$(curl -s "$url")
  stamp=$(printf '%s' "$page" | sed -n 's/.*name="_t" value="\([^"]*\)".*/\1/p' | head -n1)
  inst=$(printf '%s' "$page" | sed -n 's/.*name="_i" value="\([^"]*\)".*/\1/p' | head -n1)
  sleep 3 # not "implausibly fast" (flagged responses count the same for the version)
  curl -s -o /dev/null -A "bench-$1" --data "_i=$inst&_t=$stamp&rating=5&waiting=lt5&attitude=5&one_visit=yes&service=enquiry" "$url"
}
once() { # label: one request, its server time
  : >"$work/log"
  curl -s -o /dev/null -H "Cookie: gs_session=$sid_mgr" "$base/"
  for _ in $(seq 40); do grep -q ' access GET / ' "$work/log" && break; sleep 0.05; done
  awk -v label="$1" '$0 ~ / access GET \/ / {us = $NF; st = $(NF - 2)} END {printf "| %s | `/` | %s | %.1f | - | - | - | - | - |\n", label, st, us / 1000}' "$work/log"
}
if [ -n "$url" ]; then
  submit 1
  once "dashboard, new data, at once"
  submit 2
  sleep 3
  once "dashboard, new data, after 3 s"
fi
echo
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"

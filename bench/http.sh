#!/usr/bin/env bash
# HTTP throughput on loopback with wrk: the machine's own ceiling (a static file from
# the same server) against the health check, the login page and the dashboard, and
# keep-alive against Connection: close. Bounded: each run lasts DURATION seconds.
# Usage: bench/http.sh [DURATION] [CONNECTIONS]   (prints a Markdown table)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-64}
.ci/deps test >/dev/null
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" >/dev/null
bin=./build-bench/gridscore
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
$bin --db "$work/g.db" init --demo >/dev/null
echo "bench-password-1" | $bin --db "$work/g.db" user add bench --role manager >/dev/null
$bin --db "$work/g.db" serve --listen 127.0.0.1:0 --threads "${THREADS:-4}" >"$work/port" 2>"$work/log" &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/port" && break; sleep 0.1; done
port=$(awk '/listening/ {print $4}' "$work/port")
base="http://127.0.0.1:$port"
# log in once for the dashboard run
jar="$work/cookies"
page=$(curl -s -c "$jar" "$base/login")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n1)
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "_csrf=$csrf" -d login=bench -d password=bench-password-1 "$base/login"
sid=$(awk '$6=="gs_session" {print $7}' "$jar")

run() { # label, extra wrk args..., url
  local label=$1; shift
  local out rps lat
  out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "$@")
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  lat=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  printf '| %s | %s | %s |\n' "$label" "$rps" "$lat"
  echo "$rps" >"$work/rps-$(echo "$label" | tr -c 'a-z0-9' '_')"
}
echo "gridscore $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c$conns -d${duration}s, server --threads ${THREADS:-4}"
echo
echo "| request | requests/s | p99 latency |"
echo "| --- | --- | --- |"
run "GET /static/app.css (ceiling)" "$base/static/app.css"
run "GET /healthz" "$base/healthz"
run "GET /healthz, Connection: close" -H "Connection: close" "$base/healthz"
run "GET /login" "$base/login"
run "GET / (dashboard, logged in)" -H "Cookie: gs_session=$sid" "$base/"
run "GET /units/QH-S01 (logged in)" -H "Cookie: gs_session=$sid" "$base/units/QH-S01"

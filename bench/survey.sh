#!/usr/bin/env bash
# Survey throughput on loopback with wrk, in one run against the same server: the
# health check (the ceiling the targets are relative to), the survey page (GET /s/...)
# and the full submit path (POST: form parsing, answer validation, client hash, rate
# limiting, one BEGIN IMMEDIATE transaction with the insert, aggregates and follow-up).
# Each POST carries a fresh form instance and a different User-Agent, as real phones
# would; the per-hall and per-client limits are raised for the run (--hall-rate,
# --client-rate) because every request comes from 127.0.0.1.
# Bounded: each run lasts DURATION seconds and stops by itself.
# Usage: bench/survey.sh [DURATION] [CONNECTIONS]   (prints a Markdown table)
# THREADS=N sets the server's threads (default 4); BIN=path runs that gridscore binary
# instead of building build-bench (to compare two builds under the same conditions).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
conns=${2:-64}
.ci/deps test >/dev/null
bin=${BIN:-}
if [ -z "$bin" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build-bench -j2 >/dev/null
  bin=./build-bench/gridscore
fi
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
$bin --db "$work/g.db" init --demo >/dev/null
$bin --db "$work/g.db" serve --listen 127.0.0.1:0 --threads "${THREADS:-4}" \
  --hall-rate 100000000 --client-rate 100000000 >"$work/port" 2>"$work/log" &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/port" && break; sleep 0.1; done
port=$(awk '/listening/ {print $4}' "$work/port")
base="http://127.0.0.1:$port"
host="127.0.0.1:$port"
url=$($bin --db "$work/g.db" qr QH-H01 --base-url "$base" 2>&1 >/dev/null)
path=${url#"$base"}
page=$(curl -s "$url")
stamp=$(printf '%s' "$page" | sed -n 's/.*name="_t" value="\([^"]*\)".*/\1/p' | head -n1)
page_bytes=$(printf '%s' "$page" | wc -c)
css_bytes=$(curl -s "$base/static/survey.css" | wc -c)

cat >"$work/post.lua" <<LUA
-- A fresh form instance and User-Agent per request; the instance has the shape the
-- server issues (the render time in 8 hex digits, then 35 random characters), as a
-- phone posts back the one from its page. tid is a global:
-- thread:set() sets globals, and each wrk thread must draw its own instances (with a
-- shared seed both threads sent the same ones, and half the "submits" were answered
-- "already received"). The User-Agent carries a random run number too: another run
-- against the same server (a profile, a second round) must not repeat the clients of
-- the first, whose pair limits (one response per client and hall in 30 s) still hold.
-- Kept cheap, so that the run measures the server rather than this client: a request is
-- one string.format over a template built in init(). The body has a constant length
-- (the render time is 8 hex digits, each %07x of a number below 2^28 is 7, the rating
-- one digit), so its Content-Length is in the template too; the 35 random characters
-- are five random 28-bit numbers in hex (hex digits are in the alphabet the server
-- issues; drawing 35 single characters and joining them cost wrk about as much CPU as
-- the server's healthz). Two formats per request (the body's, then the request's over a
-- prebuilt head) cost wrk 11-12 us per submission, this one 10-10.5 us (healthz 7).
local n = 0
local template
tid = 0
function setup(thread) tid = tid + 1; thread:set("tid", tid) end
function init(args)
  math.randomseed(tid * 7919 + os.time() % 100000)
  local body = "_i=%08x%07x%07x%07x%07x%07x&_t=$stamp&rating=%d" ..
    "&waiting=lt5&attitude=5&one_visit=yes&service=enquiry&comment=bench"
  local len = #string.format(body, 0, 0, 0, 0, 0, 0, 1)
  template = "POST $path HTTP/1.1\r\nHost: $host\r\n" ..
    "Content-Type: application/x-www-form-urlencoded\r\nUser-Agent: bench-" .. tid .. "-" ..
    string.format("%07x", math.random(0, 0xfffffff)) .. "-%d\r\nContent-Length: " .. len ..
    "\r\n\r\n" .. body
end
local random, format, time = math.random, string.format, os.time
request = function()
  n = n + 1
  return format(template, n, time(), random(0, 0xfffffff), random(0, 0xfffffff), random(0, 0xfffffff),
    random(0, 0xfffffff), random(0, 0xfffffff), random(1, 5))
end
LUA

# The machine's CPU time not spent by anyone (idle + iowait, in cores) during a run:
# near 0 when the 2 cores are saturated. The ratios below compare rows of one run, so
# CPU taken by other processes (another build on a shared machine) shows here as a
# busy machine whose server got less than the 2 cores.
cpu_free() { awk '/^cpu / {print $5 + $6}' /proc/stat; }
run() { # label, extra wrk args..., url
  local label=$1; shift
  local out rps lat i0 t0 free
  i0=$(cpu_free); t0=$(date +%s.%N)
  out=$(wrk -t2 -c"$conns" -d"${duration}s" --latency "$@")
  free=$(awk -v i0="$i0" -v i1="$(cpu_free)" -v t0="$t0" -v t1="$(date +%s.%N)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", (i1 - i0) / hz / (t1 - t0) }')
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  lat=$(printf '%s\n' "$out" | awk '$1=="99%" {print $2}')
  non2xx=$(printf '%s\n' "$out" | awk '/Non-2xx/ {print $5}')
  printf '| %s | %s | %s | %s | %s |\n' "$label" "$rps" "$lat" "${non2xx:-0}" "$free"
  echo "$rps" >"$work/rps-$label"
}
echo "gridscore $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores, wrk -t2 -c$conns -d${duration}s, server --threads ${THREADS:-4}"
echo "survey page $page_bytes bytes + survey.css $css_bytes bytes"
echo
# 2 s of healthz first, not measured: the server's start-up work (its scores warmer's
# first computation, the page caches) would otherwise land in the ceiling's row.
wrk -t2 -c"$conns" -d2s "$base/healthz" >/dev/null
echo "| request | requests/s | p99 latency | 4xx/5xx | idle cores |"
echo "| --- | --- | --- | --- | --- |"
run healthz "$base/healthz"
run survey-page "$url"
run survey-submit -s "$work/post.lua" "$url"
stored=$(sqlite3 "$work/g.db" "SELECT count(*) FROM survey_responses WHERE answers LIKE '%bench%'")
h=$(cat "$work/rps-healthz"); g=$(cat "$work/rps-survey-page"); p=$(cat "$work/rps-survey-submit")
echo
awk -v h="$h" -v g="$g" -v p="$p" 'BEGIN { printf "survey page / healthz = %.0f%% (target >= 70%%); submit / healthz = %.0f%% (target >= 40%%)\n", 100*g/h, 100*p/h }'
awk -v n="$stored" -v d="$duration" 'BEGIN { printf "responses stored by the submit run: %d (%.0f per second; a stored submit answers 303)\n", n, n/d }'

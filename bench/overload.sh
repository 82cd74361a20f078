#!/usr/bin/env bash
# Overload on loopback: wrk ramps 64 → 2,000 connections against one server with its
# default limits (--max-connections 1024, --max-inflight 256; --max-per-ip raised because
# every connection comes from 127.0.0.1), STEP seconds per step, on the survey page.
# Prints per step: requests/s, 200s and 503s, socket errors, p50/p99 latency and the
# server's peak RSS (sampled every 0.5 s); then a recovery step at 64 connections must
# see no 503 at all. Bounded: about 7 × STEP seconds. Usage: bench/overload.sh [STEP]
set -euo pipefail
cd "$(dirname "$0")/.."
step=${1:-8}
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 2100 ] || { echo "ulimit -n is $(ulimit -n); wrk needs more than 2,000" >&2; exit 1; }
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j2 --target gridscore >/dev/null
bin=./build-bench/gridscore
work=$(mktemp -d)
pid=""; sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  [ -n "$pid" ] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
$bin --db "$work/g.db" init --demo >/dev/null
$bin --db "$work/g.db" serve --listen 127.0.0.1:0 --threads "${THREADS:-8}" --max-per-ip 100000 \
  >"$work/port" 2>"$work/log" &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/port" && break; sleep 0.1; done
port=$(awk '/listening/ {print $4}' "$work/port")
base="http://127.0.0.1:$port"
url=$($bin --db "$work/g.db" qr QH-H01 --base-url "$base" 2>&1 >/dev/null)

# RSS of the server every 0.5 s: "seconds-since-start kB".
( t0=$(date +%s.%N); while kill -0 "$pid" 2>/dev/null; do
    printf '%s %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$(awk '/VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)"
    sleep 0.5; done ) >"$work/rss" &
sampler=$!
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

cat >"$work/count.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) ok = 0; busy = 0; other = 0 end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 elseif status == 503 then busy = busy + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("ok"); b = b + t:get("busy"); c = c + t:get("other") end
  local e = summary.errors
  io.write(string.format("COUNTS %d %d %d %d %.1f %.1f\n", a, b, c,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

echo "| connections | requests/s | 200 | 503 | other | socket errors | p50 ms | p99 ms | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
run_step() { # connections → one table row; prints the 503 count on fd 3
  local c=$1 start end out rps counts peak
  start=$(wc -l <"$work/rss")
  out=$(wrk -t2 -c"$c" -d"${step}s" --timeout 10s -s "$work/count.lua" "$url" 2>&1)
  end=$(wc -l <"$work/rss")
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {printf "%d", $2}')
  counts=$(printf '%s\n' "$out" | awk '/^COUNTS/ {print $2, $3, $4, $5, $6, $7}')
  peak=$(sed -n "$((start + 1)),${end}p" "$work/rss" | awk 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%.1f", m / 1024}')
  set -- $counts
  echo "| $c | $rps | $1 | $2 | $3 | $4 | $5 | $6 | $peak |"
  last503=$2; lastother=$3
}
for c in 64 256 512 1024 1500 2000; do run_step "$c"; done
sleep 2
run_step 64
echo
echo "Idle RSS before the ramp: $(echo "scale=1; $rss_idle / 1024" | bc) MiB; peak over the whole run:" \
  "$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {printf "%.1f", m / 1024}' "$work/rss") MiB."
echo "Overload warnings in the server log: $(grep -c 'warn overload' "$work/log" || true)."
if [ "$last503" != 0 ] || [ "$lastother" != 0 ]; then
  echo "recovery failed: $last503 503s and $lastother other statuses at 64 connections after the ramp" >&2
  exit 1
fi
echo "Recovery at 64 connections after the ramp: no 503."

#!/bin/sh
# import.sh — the rollout import benchmark (issue 4): generates native rollout files of
# 100k and 1M events with a realistic inventory (bench_gen_rollout), then for each times
# `xmllint --stream --schema forms/rollout-1.xsd FILE` and `gridscore import FILE` on a
# fresh database in the same run, with peak RSS from /usr/bin/time, and prints the ratio.
# Usage: bench/import.sh [BUILD_DIR] [WORK_DIR] [SIZES]
#   BUILD_DIR default ./build (must hold gridscore and bench_gen_rollout)
#   WORK_DIR  default /tmp/gs-import-bench (files of ~25 MB and ~250 MB are written there)
#   SIZES     default "100000 1000000" (events; the inventory has 0.6 points per event)
# Run it alone: it is meant to measure, not to share the two cores with builds. Besides
# wall time it prints the CPU time (user + system) of each program: on a busy machine
# the wall times stretch while waiting for a core, the CPU times much less. The import
# uses two threads, so its CPU time can exceed its wall time. GS_IMPORT_TIMINGS=1 in the
# environment makes the import log each step's wall and thread CPU time.
set -eu

build=${1:-./build}
work=${2:-/tmp/gs-import-bench}
sizes=${3:-"100000 1000000"}
src=$(cd "$(dirname "$0")/.." && pwd)
xsd="$src/forms/rollout-1.xsd"
mkdir -p "$work"

for exe in "$build/gridscore" "$build/bench_gen_rollout"; do
	[ -x "$exe" ] || { echo "import.sh: $exe missing; build first" >&2; exit 2; }
done

cat > "$work/org.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<org xmlns="urn:gridscore:org:1">
  <units>
    <unit code="BENCH" kind="company" name="Bench company"/>
    <unit code="BENCH-S1" kind="station" parent="BENCH" name="Bench station"/>
  </units>
</org>
EOF

secs() { sed -n 's/^elapsed \([0-9.]*\).*/\1/p' "$1"; }
rss() { sed -n 's/^elapsed [0-9.]* s, \([0-9]*\) KB.*/\1/p' "$1"; }
cpu() { sed -n 's/^elapsed .* cpu \([0-9.]*\) \([0-9.]*\).*/\1 \2/p' "$1" | awk '{printf "%.2f", $1 + $2}'; }

printf '%-10s %8s %10s %9s %9s %10s %9s %9s %7s\n' events MB xmllint_s xml_cpu xml_MB import_s imp_cpu imp_MB ratio
for n in $sizes; do
	points=$((n * 6 / 10))
	file="$work/rollout-$n.xml"
	[ -f "$file" ] || "$build/bench_gen_rollout" BENCH-S1 "$points" "$n" "$file" 2>/dev/null
	mb=$(($(stat -L -c %s "$file") / 1048576))
	db="$work/bench-$n.db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$build/gridscore" --db "$db" init >/dev/null
	"$build/gridscore" --db "$db" org load "$work/org.xml" >/dev/null
	sync
	# warm the page cache for both, so neither pays the first read of the file
	cat "$file" >/dev/null
	/usr/bin/time -f 'elapsed %e s, %M KB, cpu %U %S' -o "$work/xmllint.time" \
		xmllint --stream --noout --schema "$xsd" "$file" 2>"$work/xmllint.err" || true
	grep -q 'validates' "$work/xmllint.err" || { echo "import.sh: xmllint says:" >&2; head -3 "$work/xmllint.err" >&2; }
	/usr/bin/time -f 'elapsed %e s, %M KB, cpu %U %S' -o "$work/import.time" \
		"$build/gridscore" --db "$db" import "$file" >"$work/import.out" 2>&1 || {
		echo "import.sh: import failed:" >&2
		head -5 "$work/import.out" >&2
		exit 1
	}
	xs=$(secs "$work/xmllint.time") is=$(secs "$work/import.time")
	printf '%-10s %8s %10s %9s %9s %10s %9s %9s %7s\n' "$n" "$mb" "$xs" "$(cpu "$work/xmllint.time")" \
		"$(($(rss "$work/xmllint.time") / 1024))" "$is" "$(cpu "$work/import.time")" \
		"$(($(rss "$work/import.time") / 1024))" "$(echo "$is $xs" | awk '{printf "%.2f", $1 / $2}')"
	[ -z "${GS_IMPORT_TIMINGS:-}" ] || grep ' debug import: [0-9]' "$work/import.out" | cut -c 26-130
	tail -1 "$work/import.out"
	echo "load average: $(cut -d" " -f1-3 /proc/loadavg)"
	rm -f "$db" "$db-wal" "$db-shm"
done

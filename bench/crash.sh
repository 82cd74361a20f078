#!/usr/bin/env bash
# Crash consistency, more rounds than the test suite: kill -9 the server under a bounded
# survey-submission load ROUNDS times (default 30) and check after each restart that
# every acknowledged (303) submission is stored and PRAGMA integrity_check says ok.
# Usage: bench/crash.sh [ROUNDS]   (builds into build/ if needed; loopback only)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}
[ -x build/test_reliability ] || { cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null && cmake --build build -j"$(nproc)"; }
GS_BIN=$PWD/build/gridscore GS_TMP=$PWD/build/benchtmp GS_CRASH_ROUNDS=$rounds build/test_reliability

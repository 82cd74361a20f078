#!/usr/bin/env bash
# Soak: SECONDS (default 600) of mixed traffic against one server on loopback — survey
# page, submit and thank-you page; a manager's dashboard, unit, hall, imports and CSV
# pages with a session cookie; the coverage and satisfaction API with a token; a rollout
# import through POST /api/v1/imports every 3 s. Fails on any 5xx, 4xx or failed
# connection, on RSS growth past the bound after warm-up, or on a descriptor leak
# (tests/test_soak.c is the client; the test suite runs it for 60 s).
# Bounded: stops by itself after SECONDS. Usage: bench/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j2 --target gridscore test_soak >/dev/null
GS_BIN=$PWD/build-bench/gridscore GS_TMP=$PWD/build-bench/benchtmp GS_SOAK_SECONDS=$seconds \
  build-bench/test_soak

#!/usr/bin/env bash
# Installs what is missing (apt-get), builds everything and runs every test: unit,
# integration (each test starts its own redis-server and throwaway PostgreSQL cluster on
# free loopback ports and removes them afterwards), end-to-end (the real service
# processes) and the proto lint (buf, from npm).
#
#   tests/run.sh                       the whole suite
#   tests/run.sh -L unit               extra arguments go to ctest
#   CLINIC_SANITIZER=address tests/run.sh   ASan+UBSan build in build-asan/
#   CLINIC_SANITIZER=thread  tests/run.sh   TSan build in build-tsan/
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sanitizer=${CLINIC_SANITIZER:-}
build=${CLINIC_BUILD_DIR:-$root/build${sanitizer:+-${sanitizer/address/asan}}}
build=${build/%-thread/-tsan}

"$root/tools/install-deps.sh" --test
start=$(date +%s)
CLINIC_BUILD_DIR=$build "$root/tools/build.sh" -DCLINIC_SANITIZER="$sanitizer" -DCLINIC_WERROR=ON
echo "build: $(($(date +%s) - start)) s" >&2

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"

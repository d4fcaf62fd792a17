#!/usr/bin/env bash
# Configures and builds into build/ (or $CLINIC_BUILD_DIR). Extra arguments go to cmake
# at configure time, e.g. -DCLINIC_SANITIZER=address.
#   tools/build.sh [cmake args...] [-- ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CLINIC_BUILD_DIR:-$root/build}
cmake_args=() targets=()
while (($#)); do
  if [[ "$1" == "--" ]]; then shift; targets=("$@"); break; fi
  cmake_args+=("$1"); shift
done
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "${cmake_args[@]}" >/dev/null
ninja -C "$build" "${targets[@]}"

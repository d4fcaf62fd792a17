#!/usr/bin/env bash
# The reminder dispatcher draining 100,000 reminders due at once (no-op deliverer) on a
# private redis-server (no persistence, a free port), then, with --bullmq, BullMQ doing
# the same on the same Redis (tools/bench/bullmq, needs node and `npm ci` there).
#   tools/bench/notification_queue.sh [--bullmq] [bench flags, e.g. --count=100000 --workers=4]
# Needs a build with -DCLINIC_BUILD_BENCHMARKS=ON (target notification_queue_bench).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${CLINIC_BUILD_DIR:-$root/build}
bullmq=0
if [[ "${1:-}" == "--bullmq" ]]; then bullmq=1; shift; fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
  --maxmemory-policy noeviction >"$dir/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; wait $redis_pid 2>/dev/null || true; rm -rf "$dir"' EXIT
trap 'exit 130' INT TERM
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

"$build/tools/bench/notification_queue/notification_queue_bench" --redis_url="redis://127.0.0.1:$port" "$@"
if ((bullmq)); then
  node "$root/tools/bench/bullmq/bench.mjs" --port="$port" "$@"
fi

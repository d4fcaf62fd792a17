#!/usr/bin/env bash
# The real notification service sending reminders through its file sink, against BullMQ
# on the same private redis-server, in one run, on one machine (issue 5's benchmark).
#
#   tools/bench/notification_service.sh [BUILD_DIR] [options]
#
# Burst (every round): --count staff alerts are scheduled over gRPC (notification_load
# --mode=burst), all with one send_time; the time from that send_time until the last
# one is in the sink file gives reminders/s. Then BullMQ (tools/bench/bullmq/bench.mjs:
# the same number of delayed jobs, a no-op processor) on the same Redis. Arms alternate
# (ours first in odd rounds). The figure is the median over rounds of
# rate(ours) / rate(BullMQ).
# Steady (--steady): one more run of the service alone: --rate alerts/s for --duration,
# each due --offset after it is scheduled; lateness = sink time - send_time, reported as
# percentiles against --poll_interval + 50 ms.
#
# Options (defaults in brackets):
#   --rounds=N            burst rounds [3]
#   --count=N             reminders per burst [100000]
#   --lead=D              burst: send_time is this long after scheduling starts; must
#                         exceed the scheduling time [120s]
#   --workers=N --batch_size=N --poll_interval=D   the service's --dispatch_* flags
#                         [4, 128, 200ms: the service's defaults]
#   --bullmq_concurrency=N  BullMQ Worker concurrency [100]
#   --load_threads=N      notification_load's ScheduleReminder threads [32]
#   --no_bullmq           skip the BullMQ arm
#   --no_burst            skip the burst rounds
#   --steady --rate=R --duration=D --offset=D   [off, 1000, 30s, 500ms]
#   --backend=B           sqlite (a fresh file per run) or postgres (one throwaway
#                         cluster, a fresh database per run) [sqlite]
#   --output=FILE         also write the JSON summary to FILE
#   -- FLAGS...           more flags for the service, e.g. -- --database_pool_size=16
# Needs: ninja -C BUILD_DIR notification_service notification_load clinic_token
# (configured with -DCLINIC_BUILD_BENCHMARKS=ON), redis-server, node and
# `npm ci` in tools/bench/bullmq. Nothing is pinned: both arms share both CPUs with
# their Redis (and ours with its database).
set -euo pipefail

BUILD_DIR=build
ROUNDS=3
COUNT=100000
LEAD=120s
WORKERS=4
BATCH=128
POLL=200ms
BULLMQ_CONCURRENCY=100
LOAD_THREADS=32
BULLMQ=1
BURST=1
STEADY=0
RATE=1000
DURATION=30s
OFFSET=500ms
OUTPUT=
BACKEND=sqlite
SERVICE_EXTRA=()
while (($#)); do
  arg="$1"
  shift
  case "$arg" in
    --) SERVICE_EXTRA=("$@"); break ;;
    --rounds=*) ROUNDS="${arg#*=}" ;;
    --count=*) COUNT="${arg#*=}" ;;
    --lead=*) LEAD="${arg#*=}" ;;
    --workers=*) WORKERS="${arg#*=}" ;;
    --batch_size=*) BATCH="${arg#*=}" ;;
    --poll_interval=*) POLL="${arg#*=}" ;;
    --bullmq_concurrency=*) BULLMQ_CONCURRENCY="${arg#*=}" ;;
    --load_threads=*) LOAD_THREADS="${arg#*=}" ;;
    --no_bullmq) BULLMQ=0 ;;
    --no_burst) BURST=0 ;;
    --steady) STEADY=1 ;;
    --rate=*) RATE="${arg#*=}" ;;
    --duration=*) DURATION="${arg#*=}" ;;
    --offset=*) OFFSET="${arg#*=}" ;;
    --output=*) OUTPUT="${arg#*=}" ;;
    --backend=*) BACKEND="${arg#*=}" ;;
    -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "notification_service: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) BUILD_DIR="$arg" ;;
  esac
done

BENCH_NAME=notification_service
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

SERVICE_BIN="$BUILD_DIR/services/notification/notification_service"
LOAD="$BUILD_DIR/tools/bench/notification_queue/notification_load"
MINT="$BUILD_DIR/tools/mint_token/clinic_token"
for bin in "$SERVICE_BIN" "$LOAD" "$MINT"; do
  [[ -x "$bin" ]] || { note "$bin not found: build it first (ninja -C $BUILD_DIR notification_service notification_load clinic_token)"; exit 1; }
done
if ((BULLMQ && BURST)) && [[ ! -d "$ROOT/tools/bench/bullmq/node_modules/bullmq" ]]; then
  note "BullMQ not installed: (cd tools/bench/bullmq && npm ci), or --no_bullmq"; exit 1
fi

case "$BACKEND" in sqlite|postgres) ;; *) note "--backend must be sqlite or postgres"; exit 2 ;; esac

bench_workdir
bench_token network_admin

# One private redis-server for the whole run (no persistence, noeviction), flushed
# before every arm.
REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REDIS_PID=
stop_redis() { [[ -z "$REDIS_PID" ]] || { kill "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; }; }
# PostgreSQL: one throwaway cluster on a free loopback port, as vs_echo.sh starts it.
PG_BIN=
PG_PORT=
RUN_AS=()
stop_all() {
  stop_redis || true
  [[ -z "$PG_PORT" ]] || "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
}
BENCH_CLEANUP_HOOK=stop_all
if [[ "$BACKEND" == postgres ]]; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [[ -x "$PG_BIN/initdb" ]] || { note "PostgreSQL server not found (apt-get install postgresql)"; exit 1; }
  PG_USER=$(id -un)
  mkdir -p "$WORK/pg"
  if [[ $(id -u) == 0 ]]; then
    PG_USER=postgres
    RUN_AS=(runuser -u postgres --)
    chmod 755 "$WORK"
    chown postgres "$WORK/pg"
  fi
  "${RUN_AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg" -U "$PG_USER" -A trust >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; exit 1; }
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg" start >/dev/null \
    || { cat "$WORK/pg/server.log" >&2; exit 1; }
fi
database_url() {
  if [[ "$BACKEND" == sqlite ]]; then
    echo "sqlite://$WORK/$1.db"
  else
    "${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$1"
    echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$1"
  fi
}
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  --maxmemory-policy noeviction >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

start_service() {
  local run="$1"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  bench_start "$run" "$SERVICE_BIN" --address=127.0.0.1 --port=0 --metrics_address=127.0.0.1 --metrics_port=0 \
    --shutdown_delay=0s "--jwt_hs256_key_file=$KEY_FILE" "--database_url=$(database_url "$run")" \
    "--redis_url=redis://127.0.0.1:$REDIS_PORT" --sender=file "--sink_path=$WORK/$run.sink.jsonl" \
    --dispatch_workers="$WORKERS" --dispatch_batch_size="$BATCH" --dispatch_poll_interval="$POLL" \
    "${SERVICE_EXTRA[@]}"
}

run_ours() {
  local round="$1" run="ours_$1"
  start_service "$run"
  if ! "$LOAD" --target="$ADDRESS" --token_file="$TOKEN_FILE" --sink_path="$WORK/$run.sink.jsonl" --mode=burst --threads="$LOAD_THREADS" \
      --count="$COUNT" --lead="$LEAD" >"$WORK/$run.json"; then
    note "notification_load failed; the service's log:"; tail -n 20 "$WORK/$run.log" >&2; exit 1
  fi
  bench_stop
  note "round $round ours: $(cat "$WORK/$run.json")"
}

run_bullmq() {
  local round="$1" run="bullmq_$1"
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  node "$ROOT/tools/bench/bullmq/bench.mjs" --port="$REDIS_PORT" --count="$COUNT" \
    --concurrency="$BULLMQ_CONCURRENCY" >"$WORK/$run.json"
  note "round $round bullmq: $(cat "$WORK/$run.json")"
}

json_rounds=""
ratios=()
if ((BURST)); then
  echo "| round | ours dispatch_seconds | ours reminders/s | BullMQ dispatch_seconds | BullMQ reminders/s | ratio |"
  echo "|---|---|---|---|---|---|"
  for round in $(seq "$ROUNDS"); do
    if ((!BULLMQ)); then
      run_ours "$round"
    elif ((round % 2 == 1)); then
      run_ours "$round"; run_bullmq "$round"
    else
      run_bullmq "$round"; run_ours "$round"
    fi
    o_s="$(field "$WORK/ours_$round.json" dispatch_seconds)"
    o_r="$(field "$WORK/ours_$round.json" reminders_per_second)"
    b_s=0 b_r=0 ratio=0
    if ((BULLMQ)); then
      b_s="$(field "$WORK/bullmq_$round.json" dispatch_seconds)"
      b_r="$(field "$WORK/bullmq_$round.json" reminders_per_second)"
      ratio="$(awk -v o="$o_r" -v b="$b_r" 'BEGIN {printf "%.2f", (b > 0 ? o / b : 0)}')"
      ratios+=("$ratio")
    fi
    echo "| $round | $o_s | $o_r | $b_s | $b_r | $ratio |"
    json_rounds+="${json_rounds:+,}{\"round\":$round,\"ours\":$(cat "$WORK/ours_$round.json")"
    ((BULLMQ)) && json_rounds+=",\"bullmq\":$(cat "$WORK/bullmq_$round.json"),\"ratio\":$ratio"
    json_rounds+="}"
  done
fi
median_ratio=null
if ((${#ratios[@]})); then
  median_ratio="$(printf '%s\n' "${ratios[@]}" | median)"
  echo
  echo "Median ratio ours/BullMQ (reminders/s) over $ROUNDS rounds: **$median_ratio** (goal >= 2)"
fi

steady=null
if ((STEADY)); then
  start_service steady
  if ! "$LOAD" --target="$ADDRESS" --token_file="$TOKEN_FILE" --sink_path="$WORK/steady.sink.jsonl" --mode=steady --threads="$LOAD_THREADS" \
      --rate="$RATE" --duration="$DURATION" --offset="$OFFSET" >"$WORK/steady.json"; then
    note "notification_load failed; the service's log:"; tail -n 20 "$WORK/steady.log" >&2; exit 1
  fi
  metrics_port="$(grep -oE '"metrics_port":"[0-9]+"' "$WORK/steady.log" | head -n1 | cut -d'"' -f4 || true)"
  if [[ -n "$metrics_port" ]]; then
    curl -s "http://127.0.0.1:$metrics_port/metrics" | grep -E '^notification_queue_(lateness_seconds_(bucket|sum|count)|deliveries_total)' \
      >"$WORK/steady.metrics" || true
  fi
  bench_stop
  steady="$(cat "$WORK/steady.json")"
  budget_ms="$(awk -v p="$(python3 -c "import sys; s='$POLL'; print(float(s[:-2]) if s.endswith('ms') else float(s[:-1])*1000)")" 'BEGIN {print p + 50}')"
  echo
  echo "Steady $RATE/s for $DURATION, due +$OFFSET, poll interval $POLL: $steady"
  echo "Lateness p99 $(grep -oE '"p99":[-0-9.]+' "$WORK/steady.json" | cut -d: -f2) ms against a budget of $budget_ms ms"
  if [[ -s "$WORK/steady.metrics" ]]; then
    echo "The dispatcher's own histogram (claim time - due) and claim outcomes:"
    cat "$WORK/steady.metrics"
  fi
fi

summary="{\"benchmark\":\"notification_service\",\"load\":\"staff_alert\",\"backend\":\"$BACKEND\",\"count\":$COUNT,\"workers\":$WORKERS,\"batch_size\":$BATCH,\"poll_interval\":\"$POLL\",\"service_flags\":\"${SERVICE_EXTRA[*]}\",\"bullmq_concurrency\":$BULLMQ_CONCURRENCY,\"rounds\":[$json_rounds],\"median_ratio\":$median_ratio,\"steady\":$steady}"
echo
echo "$summary"
if [[ -n "$OUTPUT" ]]; then echo "$summary" >"$OUTPUT"; fi

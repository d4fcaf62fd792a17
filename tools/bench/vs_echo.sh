#!/usr/bin/env bash
# A service's hot path against the echo baseline (our echo_server: the same bootstrap,
# auth, metrics and logging, no work), in one run, on one machine.
#
#   tools/bench/vs_echo.sh [BUILD_DIR] --workload=W [options]
#
# Workloads:
#   reserve_release   inventory_service: ReserveDose of one unit, then ReleaseReservation
#                     (loadgen --workload=reserve_release prepares a clinic and a lot)
#   get_patient       patient_service: GetPatient on Redis cache hits (loadgen registers
#                     --patients patients with CreatePatient and reads each once first;
#                     a private redis-server, pinned with the service, is started)
#   get_patient_nocache  the same with the service's --cache_enabled=false: every read
#                     from the database
#
# BUILD_DIR defaults to build/. Options (defaults in brackets):
#   --backend=B       sqlite (a fresh file per run) or postgres (a throwaway cluster for
#                     the whole run, a fresh database per run, on CPU 1 with the
#                     service) [sqlite]
#   --rounds=N        rounds of alternating runs [3]
#   --warmup=D        loadgen warm-up per run, discarded [2s]
#   --duration=D      loadgen measured duration per run [10s]
#   --concurrency=N   closed-loop operations outstanding [8]
#   --channels=N      client channels (TCP connections) [4]
#   --patients=N      get_patient*: patients registered before each run [100000]
#   --output=FILE     also write the JSON summary to FILE
#
# The servers (and PostgreSQL) run pinned to CPU 1 and loadgen to CPU 0. Each round
# runs both arms, echo,workload then workload,echo alternately, each on a fresh server
# (and database). The figure is the median over rounds of
# operations/s(workload) / calls/s(echo); an operation of reserve_release is two RPCs,
# of get_patient one. Preparing a workload (loadgen's Prepare) is not measured.
set -euo pipefail

BUILD_DIR=build
WORKLOAD=
BACKEND=sqlite
ROUNDS=3
WARMUP=2s
DURATION=10s
CONCURRENCY=8
CHANNELS=4
PATIENTS=100000
OUTPUT=

for arg in "$@"; do
  case "$arg" in
    --workload=*) WORKLOAD="${arg#*=}" ;;
    --backend=*) BACKEND="${arg#*=}" ;;
    --rounds=*) ROUNDS="${arg#*=}" ;;
    --warmup=*) WARMUP="${arg#*=}" ;;
    --duration=*) DURATION="${arg#*=}" ;;
    --concurrency=*) CONCURRENCY="${arg#*=}" ;;
    --channels=*) CHANNELS="${arg#*=}" ;;
    --patients=*) PATIENTS="${arg#*=}" ;;
    --output=*) OUTPUT="${arg#*=}" ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "vs_echo: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) BUILD_DIR="$arg" ;;
  esac
done

BENCH_NAME=vs_echo
source "$(dirname "$0")/lib.sh"

CLINIC=
LOAD_WORKLOAD="$WORKLOAD"
SERVICE_FLAGS=()
WORKLOAD_FLAGS=()
NEEDS_REDIS=false
case "$WORKLOAD" in
  reserve_release) SERVICE=inventory; ROLE=network_admin ;;
  get_patient|get_patient_nocache)
    SERVICE=patient; ROLE=reception; CLINIC=loadgen-clinic; LOAD_WORKLOAD=get_patient
    WORKLOAD_FLAGS=(--patients="$PATIENTS")
    NEEDS_REDIS=true
    if [[ "$WORKLOAD" == get_patient_nocache ]]; then SERVICE_FLAGS=(--cache_enabled=false); fi
    ;;
  *) note "--workload must be reserve_release, get_patient or get_patient_nocache (see --help)"; exit 2 ;;
esac
case "$BACKEND" in sqlite|postgres) ;; *) note "--backend must be sqlite or postgres"; exit 2 ;; esac

LOADGEN="$BUILD_DIR/tools/loadgen/loadgen"
ECHO="$BUILD_DIR/tools/echo/echo_server"
MINT="$BUILD_DIR/tools/mint_token/clinic_token"
SERVICE_BIN="$BUILD_DIR/services/$SERVICE/${SERVICE}_service"
for bin in "$LOADGEN" "$ECHO" "$MINT" "$SERVICE_BIN"; do
  [[ -x "$bin" ]] || { note "$bin not found: build it first (ninja -C $BUILD_DIR loadgen echo_server clinic_token ${SERVICE}_service)"; exit 1; }
done

bench_pin
bench_workdir
bench_token "$ROLE" "$CLINIC"

# PostgreSQL: one throwaway cluster on a free loopback port, as the tests do (as the
# postgres user when run as root: initdb refuses root).
PG_BIN=
PG_PORT=
RUN_AS=()
stop_postgres() { "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1; }
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
  "${SERVER_PIN[@]}" "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $WORK/pg" start >/dev/null \
    || { cat "$WORK/pg/server.log" >&2; exit 1; }
fi

# Redis (get_patient*): one private redis-server on a free loopback port for the whole
# run, no persistence, pinned with the service; flushed before each run.
REDIS_PID=
REDIS_PORT=
stop_redis() { if [[ -n "$REDIS_PID" ]]; then kill -TERM "$REDIS_PID" 2>/dev/null; wait "$REDIS_PID" 2>/dev/null; fi; }
if [[ "$NEEDS_REDIS" == true ]]; then
  command -v redis-server >/dev/null || { note "redis-server not found (apt-get install redis-server)"; exit 1; }
  REDIS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${SERVER_PIN[@]}" redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$WORK" >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null || { cat "$WORK/redis.log" >&2; exit 1; }
  SERVICE_FLAGS+=("--redis_url=redis://127.0.0.1:$REDIS_PORT")
fi
cleanup_dependencies() {
  stop_redis
  if [[ -n "$PG_BIN" ]]; then stop_postgres; fi
}
BENCH_CLEANUP_HOOK=cleanup_dependencies

database_url() {
  local run="$1"
  if [[ "$BACKEND" == sqlite ]]; then
    echo "sqlite://$WORK/$run.db"
  else
    "${RUN_AS[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" "$run"
    echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$run"
  fi
}

COMMON_FLAGS=(--address=127.0.0.1 --port=0 --metrics_address=127.0.0.1 --metrics_port=0 --shutdown_delay=0s
              "--jwt_hs256_key_file=$KEY_FILE")
run_arm() {
  local arm="$1" round="$2" report="$WORK/$1.$2.json" load=()
  if [[ "$arm" == echo ]]; then
    bench_start "$arm" "${SERVER_PIN[@]}" "$ECHO" "${COMMON_FLAGS[@]}"
    load=(--workload=echo)
  else
    if [[ -n "$REDIS_PORT" ]]; then redis-cli -p "$REDIS_PORT" flushall >/dev/null; fi
    bench_start "$arm" "${SERVER_PIN[@]}" "$SERVICE_BIN" "${COMMON_FLAGS[@]}" "${SERVICE_FLAGS[@]}" \
      "--database_url=$(database_url "${arm}_$round")"
    load=(--workload="$LOAD_WORKLOAD" "${WORKLOAD_FLAGS[@]}")
  fi
  "${CLIENT_PIN[@]}" "$LOADGEN" --target="$ADDRESS" --mode=closed "${load[@]}" \
    --concurrency="$CONCURRENCY" --channels="$CHANNELS" --warmup="$WARMUP" --duration="$DURATION" \
    --token_file="$TOKEN_FILE" --output="$report" --stdout=false &
  LOADGEN_PID=$!
  if ! wait "$LOADGEN_PID"; then
    LOADGEN_PID=
    note "loadgen failed against the $arm server; its log:"
    tail -n 20 "$WORK/$arm.log" >&2
    exit 1
  fi
  LOADGEN_PID=
  bench_stop
  local errors
  errors="$(field "$report" error_calls)"
  if [[ "$errors" != 0 ]]; then
    note "WARNING: $arm round $round had $errors failed operations: $(grep -oE '"errors":\{[^}]*\}' "$report")"
  fi
  note "round $round $arm: $(field "$report" calls_per_second) ops/s, p99 $(field "$report" p99) us"
}

ARMS=(echo "$WORKLOAD")
for round in $(seq "$ROUNDS"); do
  if (( round % 2 == 1 )); then order=(echo "$WORKLOAD"); else order=("$WORKLOAD" echo); fi
  for arm in "${order[@]}"; do run_arm "$arm" "$round"; done
done

echo
echo "| round | echo calls/s | echo p99 (us) | $WORKLOAD ops/s | $WORKLOAD p99 (us) | ratio |"
echo "|---|---|---|---|---|---|"
ratios=()
json_rounds=""
for round in $(seq "$ROUNDS"); do
  e_cps="$(field "$WORK/echo.$round.json" calls_per_second)"
  e_p99="$(field "$WORK/echo.$round.json" p99)"
  w_cps="$(field "$WORK/$WORKLOAD.$round.json" calls_per_second)"
  w_p99="$(field "$WORK/$WORKLOAD.$round.json" p99)"
  w_err="$(field "$WORK/$WORKLOAD.$round.json" error_calls)"
  ratio="$(awk -v w="$w_cps" -v e="$e_cps" 'BEGIN {printf "%.3f", (e > 0 ? w / e : 0)}')"
  ratios+=("$ratio")
  echo "| $round | $e_cps | $e_p99 | $w_cps | $w_p99 | $ratio |"
  json_rounds+="${json_rounds:+,}{\"round\":$round,\"echo\":{\"calls_per_second\":$e_cps,\"p99_us\":$e_p99},\"$WORKLOAD\":{\"ops_per_second\":$w_cps,\"p99_us\":$w_p99,\"error_ops\":$w_err},\"ratio\":$ratio}"
done
median_ratio="$(printf '%s\n' "${ratios[@]}" | median)"
echo
echo "Median ratio $WORKLOAD/echo over $ROUNDS rounds ($BACKEND): **$median_ratio**"
summary="{\"benchmark\":\"vs_echo\",\"workload\":\"$WORKLOAD\",\"backend\":\"$BACKEND\",\"rounds\":$ROUNDS,\"warmup\":\"$WARMUP\",\"duration\":\"$DURATION\",\"concurrency\":$CONCURRENCY,\"channels\":$CHANNELS,\"pinned\":$([[ ${#SERVER_PIN[@]} -gt 0 ]] && echo true || echo false),\"runs\":[$json_rounds],\"median_ratio\":$median_ratio}"
echo
echo "$summary"
if [[ -n "$OUTPUT" ]]; then echo "$summary" >"$OUTPUT"; fi

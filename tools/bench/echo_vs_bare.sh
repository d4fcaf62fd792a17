#!/usr/bin/env bash
# Echo benchmark: our echo_server (bootstrap + auth, metrics, logging interceptors)
# against bare_echo_server (plain gRPC), in one run, on one machine.
#
#   tools/bench/echo_vs_bare.sh [BUILD_DIR] [options]
#
# BUILD_DIR defaults to build/. Options (defaults in brackets):
#   --rounds=N        rounds of alternating runs [3]
#   --warmup=D        loadgen warm-up per run, discarded [2s]
#   --duration=D      loadgen measured duration per run [10s]
#   --concurrency=N   closed-loop operations outstanding [32]
#   --channels=N      client channels (TCP connections) [4]
#   --payload_bytes=N echo payload [0]
#   --candidate=K     what is compared with bare: ours (echo_server) or bare (a second
#                     bare server: the noise floor of the method) [ours]
#   --output=FILE     also write the JSON summary to FILE
#
# The server runs pinned to CPU 1 and loadgen to CPU 0 (taskset). Each round runs both
# arms, in the order bare,candidate then candidate,bare alternately, each on a fresh
# server. The figure is the median over rounds of calls/s(candidate) / calls/s(bare).
set -euo pipefail

BUILD_DIR=build
ROUNDS=3
WARMUP=2s
DURATION=10s
CONCURRENCY=32
CHANNELS=4
PAYLOAD_BYTES=0
CANDIDATE=ours
OUTPUT=

for arg in "$@"; do
  case "$arg" in
    --rounds=*) ROUNDS="${arg#*=}" ;;
    --warmup=*) WARMUP="${arg#*=}" ;;
    --duration=*) DURATION="${arg#*=}" ;;
    --concurrency=*) CONCURRENCY="${arg#*=}" ;;
    --channels=*) CHANNELS="${arg#*=}" ;;
    --payload_bytes=*) PAYLOAD_BYTES="${arg#*=}" ;;
    --candidate=*) CANDIDATE="${arg#*=}" ;;
    --output=*) OUTPUT="${arg#*=}" ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "echo_vs_bare: unknown option $arg (see --help)" >&2; exit 2 ;;
    *) BUILD_DIR="$arg" ;;
  esac
done
case "$CANDIDATE" in ours|bare) ;; *) echo "echo_vs_bare: --candidate must be ours or bare" >&2; exit 2 ;; esac

BENCH_NAME=echo_vs_bare
source "$(dirname "$0")/lib.sh"

LOADGEN="$BUILD_DIR/tools/loadgen/loadgen"
BARE="$BUILD_DIR/tools/echo/bare_echo_server"
OURS="$BUILD_DIR/tools/echo/echo_server"
MINT="$BUILD_DIR/tools/mint_token/clinic_token"
for bin in "$LOADGEN" "$BARE"; do
  [[ -x "$bin" ]] || { note "$bin not found: build it first (ninja -C $BUILD_DIR loadgen bare_echo_server)"; exit 1; }
done

bench_pin
bench_workdir

# Auth material for our server; the same token goes to both arms so that the client
# and the wire carry identical bytes.
TOKEN_FLAGS=()
AUTH="bearer"
if [[ -x "$MINT" ]]; then
  bench_token service
  OURS_AUTH_FLAGS=("--jwt_hs256_key_file=$KEY_FILE")
  TOKEN_FLAGS=("--token_file=$TOKEN_FILE")
else
  AUTH="none"
  OURS_AUTH_FLAGS=("--insecure_dev_auth")
  if [[ "$CANDIDATE" == ours ]]; then
    note "$MINT not found: running WITHOUT auth (our server with --insecure_dev_auth);" \
         "the figure then leaves out token verification"
  fi
fi

ARMS=(bare)
if [[ "$CANDIDATE" == bare ]]; then
  ARMS=(bare bare2)
elif [[ -x "$OURS" ]]; then
  ARMS=(bare ours)
else
  note "$OURS not found: measuring the bare server only (no ratio)"
fi

# Starts the server of an arm; sets SERVER_PID and ADDRESS.
start_server() {
  case "$1" in
    bare|bare2) bench_start "$1" "${SERVER_PIN[@]}" "$BARE" --port=0 ;;
    ours) bench_start "$1" "${SERVER_PIN[@]}" "$OURS" --address=127.0.0.1 --port=0 --metrics_address=127.0.0.1 \
            --metrics_port=0 --shutdown_delay=0s "${OURS_AUTH_FLAGS[@]}" ;;
  esac
}

run_arm() {
  local arm="$1" round="$2" report="$WORK/$1.$2.json"
  start_server "$arm"
  # In the background and waited for, so that a signal to this script is handled at once.
  "${CLIENT_PIN[@]}" "$LOADGEN" --target="$ADDRESS" --mode=closed \
    --concurrency="$CONCURRENCY" --channels="$CHANNELS" --payload_bytes="$PAYLOAD_BYTES" \
    --warmup="$WARMUP" --duration="$DURATION" "${TOKEN_FLAGS[@]}" \
    --output="$report" --stdout=false &
  LOADGEN_PID=$!
  if ! wait "$LOADGEN_PID"; then
    LOADGEN_PID=
    note "loadgen failed against the $arm server"
    exit 1
  fi
  LOADGEN_PID=
  bench_stop
  local errors
  errors="$(field "$report" error_calls)"
  if [[ "$errors" != 0 ]]; then
    note "WARNING: $arm round $round had $errors failed calls: $(grep -oE '"errors":\{[^}]*\}' "$report")"
  fi
  note "round $round $arm: $(field "$report" calls_per_second) calls/s, p99 $(field "$report" p99) us"
}

for round in $(seq "$ROUNDS"); do
  if (( round % 2 == 1 )); then order=("${ARMS[@]}"); else order=(); for ((i=${#ARMS[@]}-1; i>=0; i--)); do order+=("${ARMS[i]}"); done; fi
  for arm in "${order[@]}"; do run_arm "$arm" "$round"; done
done

# Summary: markdown table on stdout, then one JSON line.
other="${ARMS[1]:-}"
echo
echo "| round | bare calls/s | bare p99 (us) |${other:+ $other calls/s | $other p99 (us) | ratio $other/bare |}"
echo "|---|---|---|${other:+---|---|---|}"
ratios=()
json_rounds=""
for round in $(seq "$ROUNDS"); do
  b_cps="$(field "$WORK/bare.$round.json" calls_per_second)"
  b_p99="$(field "$WORK/bare.$round.json" p99)"
  row="| $round | $b_cps | $b_p99 |"
  json_round="{\"round\":$round,\"bare\":{\"calls_per_second\":$b_cps,\"p99_us\":$b_p99}"
  if [[ -n "$other" ]]; then
    o_cps="$(field "$WORK/$other.$round.json" calls_per_second)"
    o_p99="$(field "$WORK/$other.$round.json" p99)"
    ratio="$(awk -v o="$o_cps" -v b="$b_cps" 'BEGIN {printf "%.3f", (b > 0 ? o / b : 0)}')"
    ratios+=("$ratio")
    row+=" $o_cps | $o_p99 | $ratio |"
    json_round+=",\"$other\":{\"calls_per_second\":$o_cps,\"p99_us\":$o_p99},\"ratio\":$ratio"
  fi
  echo "$row"
  json_rounds+="${json_rounds:+,}$json_round}"
done
median_ratio=null
if [[ -n "$other" ]]; then
  median_ratio="$(printf '%s\n' "${ratios[@]}" | median)"
  echo
  echo "Median ratio $other/bare over $ROUNDS rounds: **$median_ratio**"
fi
summary="{\"benchmark\":\"echo_vs_bare\",\"candidate\":\"${other:-none}\",\"auth\":\"$AUTH\",\"rounds\":$ROUNDS,\"warmup\":\"$WARMUP\",\"duration\":\"$DURATION\",\"concurrency\":$CONCURRENCY,\"channels\":$CHANNELS,\"payload_bytes\":$PAYLOAD_BYTES,\"pinned\":$([[ ${#SERVER_PIN[@]} -gt 0 ]] && echo true || echo false),\"runs\":[$json_rounds],\"median_ratio\":$median_ratio}"
echo
echo "$summary"
if [[ -n "$OUTPUT" ]]; then echo "$summary" >"$OUTPUT"; fi

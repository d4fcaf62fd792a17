#!/usr/bin/env bash
# The cost of one call to an echo server, as figures that the machine's load moves far
# less than calls/s: instructions (valgrind's callgrind) or CPU time.
#
#   tools/bench/echo_cost.sh [BUILD_DIR] [options] [-- extra server flags]
#
# BUILD_DIR defaults to build/. Options (defaults in brackets):
#   --server=K        ours (echo_server) or bare (bare_echo_server) [ours]
#   --measure=M       ir: instructions the server executes per call, under callgrind
#                     (user space only); cpu: the server's user and system CPU time per
#                     call, natively, pinned as in echo_vs_bare.sh [ir]
#   --duration=D      measured loadgen run [10s]
#   --concurrency=N   closed-loop operations outstanding [8 for ir, 32 for cpu]
#   --channels=N      client channels (TCP connections) [4]
#   --output_dir=DIR  keep the loadgen report there and, for ir, the profile of the
#                     measured run (callgrind.out) and of the whole process
#                     (callgrind.whole.out) [a temporary directory, removed on exit]
#
# A 3 s loadgen run warms the server up (connections, thread pools, caches); then the
# counters are zeroed (ir) or the server's CPU time read from /proc (cpu), the measured
# run is made, and the figure is taken. Under callgrind the server is about 50x slower,
# hence the smaller default load. Both figures still vary by a few percent from run to
# run (how many calls one read or write carries depends on timing): compare servers by
# alternating runs and take the median of several.
#
# Attribute a profile: callgrind_annotate --inclusive=yes DIR/callgrind.out | less
set -euo pipefail

BUILD_DIR=build
SERVER=ours
MEASURE=ir
DURATION=10s
CONCURRENCY=
CHANNELS=4
OUTPUT_DIR=
SERVER_EXTRA=()

while (($#)); do
  case "$1" in
    --server=*) SERVER="${1#*=}" ;;
    --measure=*) MEASURE="${1#*=}" ;;
    --duration=*) DURATION="${1#*=}" ;;
    --concurrency=*) CONCURRENCY="${1#*=}" ;;
    --channels=*) CHANNELS="${1#*=}" ;;
    --output_dir=*) OUTPUT_DIR="${1#*=}" ;;
    --) shift; SERVER_EXTRA=("$@"); break ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) echo "echo_cost: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) BUILD_DIR="$1" ;;
  esac
  shift
done
case "$SERVER" in ours|bare) ;; *) echo "echo_cost: --server must be ours or bare" >&2; exit 2 ;; esac
case "$MEASURE" in
  ir) CONCURRENCY="${CONCURRENCY:-8}" ;;
  cpu) CONCURRENCY="${CONCURRENCY:-32}" ;;
  *) echo "echo_cost: --measure must be ir or cpu" >&2; exit 2 ;;
esac

BENCH_NAME=echo_cost
source "$(dirname "$0")/lib.sh"
LOADGEN="$BUILD_DIR/tools/loadgen/loadgen"
MINT="$BUILD_DIR/tools/mint_token/clinic_token"
if [[ "$SERVER" == ours ]]; then BIN="$BUILD_DIR/tools/echo/echo_server"; else BIN="$BUILD_DIR/tools/echo/bare_echo_server"; fi
for bin in "$LOADGEN" "$MINT" "$BIN"; do
  [[ -x "$bin" ]] || { note "$bin not found: build it first (ninja -C $BUILD_DIR loadgen bare_echo_server echo_server clinic_token)"; exit 1; }
done

RUNNER=()
SERVER_PIN=()
CLIENT_PIN=()
if [[ "$MEASURE" == ir ]]; then
  for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null || { note "$tool not found (apt-get install valgrind)"; exit 1; }
  done
else
  bench_pin
fi

bench_workdir
OUT="${OUTPUT_DIR:-$WORK}"
mkdir -p "$OUT"
# The same token as the benchmark sends; the bare server ignores it.
bench_token service

if [[ "$SERVER" == ours ]]; then
  FLAGS=(--address=127.0.0.1 --port=0 --metrics_address=127.0.0.1 --metrics_port=0 --shutdown_delay=0s
         "--jwt_hs256_key_file=$KEY_FILE")
else
  FLAGS=(--port=0)
fi
if [[ "$MEASURE" == ir ]]; then
  rm -f "$OUT"/callgrind.out "$OUT"/callgrind.whole.out*
  RUNNER=(valgrind --tool=callgrind "--callgrind-out-file=$OUT/callgrind.whole.out")
fi
bench_start server "${SERVER_PIN[@]}" "${RUNNER[@]}" "$BIN" "${FLAGS[@]}" "${SERVER_EXTRA[@]}"

# utime + stime of the server process (all threads), in clock ticks: fields 14 and 15.
cpu_ticks() { awk '{print $14, $15}' "/proc/$SERVER_PID/stat"; }

LOAD=("${CLIENT_PIN[@]}" "$LOADGEN" --target="$ADDRESS" --mode=closed --concurrency="$CONCURRENCY"
      --channels="$CHANNELS" --deadline=30s --warmup=0s "--token_file=$TOKEN_FILE" --stdout=false)
"${LOAD[@]}" --duration=3s --output="$WORK/warmup.json"
if [[ "$MEASURE" == ir ]]; then
  callgrind_control --zero "$SERVER_PID" >/dev/null 2>&1
else
  read -r USER0 SYS0 < <(cpu_ticks)
fi
"${LOAD[@]}" --duration="$DURATION" --output="$OUT/loadgen.json"
if [[ "$MEASURE" == ir ]]; then
  callgrind_control --dump=measured "$SERVER_PID" >/dev/null 2>&1
else
  read -r USER1 SYS1 < <(cpu_ticks)
fi

CALLS="$(field "$OUT/loadgen.json" calls)"
ERRORS="$(field "$OUT/loadgen.json" error_calls)"
CPS="$(field "$OUT/loadgen.json" calls_per_second)"
[[ "$ERRORS" == 0 ]] || note "WARNING: $ERRORS failed calls"
if [[ "$MEASURE" == ir ]]; then
  mv "$OUT/callgrind.whole.out.1" "$OUT/callgrind.out"
  IR="$(grep -E '^summary:' "$OUT/callgrind.out" | awk '{print $2}')"
  echo "{\"server\":\"$SERVER\",\"measure\":\"ir\",\"calls\":$CALLS,\"error_calls\":$ERRORS,\"ir\":$IR,\"ir_per_call\":$((IR / CALLS))}"
  [[ -z "$OUTPUT_DIR" ]] || note "profile: $OUT/callgrind.out (callgrind_annotate --inclusive=yes $OUT/callgrind.out)"
else
  awk -v u=$((USER1 - USER0)) -v s=$((SYS1 - SYS0)) -v hz="$(getconf CLK_TCK)" -v calls="$CALLS" \
      -v errors="$ERRORS" -v cps="$CPS" -v server="$SERVER" 'BEGIN {
    printf "{\"server\":\"%s\",\"measure\":\"cpu\",\"calls\":%d,\"error_calls\":%d,\"calls_per_second\":%s,", server, calls, errors, cps
    printf "\"user_us_per_call\":%.2f,\"sys_us_per_call\":%.2f,\"cpu_us_per_call\":%.2f}\n", u / hz / calls * 1e6, s / hz / calls * 1e6, (u + s) / hz / calls * 1e6
  }'
fi
exit 0

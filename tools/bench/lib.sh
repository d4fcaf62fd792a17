# Shared by the benchmark scripts of tools/bench (sourced, not run). Each script sets
# BENCH_NAME first; this file gives it:
#   note MSG...                  a message on stderr, prefixed with the script's name
#   bench_pin                    SERVER_PIN=(taskset -c 1), CLIENT_PIN=(taskset -c 0) when
#                                there are two CPUs (else empty, with a warning)
#   bench_workdir                WORK: a temporary folder, removed on exit with every server
#   bench_token ROLE [CLINIC]    KEY_FILE (a fresh HS256 key) and TOKEN_FILE (a token for
#                                ROLE minted with clinic_token; needs MINT set)
#   bench_start NAME CMD...      starts CMD in its own session (setsid), logs in
#                                $WORK/NAME.log; waits for its listening address: sets
#                                SERVER_PID and ADDRESS
#   bench_stop                   SIGTERM to the server's process group, SIGKILL after 5 s
#   field FILE KEY               a number from a one-line JSON report (keys unique in it)
#   median                       the median of the numbers on stdin
# Several servers may run at once: bench_start appends to SERVER_PIDS; bench_stop stops
# the last one started, bench_stop_all every one.

note() { echo "$BENCH_NAME: $*" >&2; }

bench_pin() {
  SERVER_PIN=()
  CLIENT_PIN=()
  if command -v taskset >/dev/null && [[ "$(nproc --all)" -ge 2 ]]; then
    SERVER_PIN=(taskset -c 1)
    CLIENT_PIN=(taskset -c 0)
  else
    note "WARNING: no taskset or fewer than 2 CPUs: running unpinned"
  fi
}

SERVER_PIDS=()
LOADGEN_PID=
BENCH_CLEANUP_HOOK=
bench_stop_pid() {
  local pid="$1"
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
bench_stop() {
  if ((${#SERVER_PIDS[@]})); then
    bench_stop_pid "${SERVER_PIDS[-1]}"
    unset 'SERVER_PIDS[-1]'
  fi
  SERVER_PID=
}
bench_stop_all() { while ((${#SERVER_PIDS[@]})); do bench_stop; done; }

bench_cleanup() {
  if [[ -n "$LOADGEN_PID" ]]; then kill -TERM "$LOADGEN_PID" 2>/dev/null || true; wait "$LOADGEN_PID" 2>/dev/null || true; fi
  bench_stop_all
  if [[ -n "$BENCH_CLEANUP_HOOK" ]]; then "$BENCH_CLEANUP_HOOK" || true; fi
  [[ -z "${WORK:-}" ]] || rm -rf "$WORK"
}

bench_workdir() {
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/$BENCH_NAME.XXXXXX")"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_token() {
  KEY_FILE="$WORK/jwt_hs256.key"
  TOKEN_FILE="$WORK/token"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY_FILE"
  "$MINT" --key_file="$KEY_FILE" --subject=loadgen --role="$1" ${2:+--clinic="$2"} --ttl=1h >"$TOKEN_FILE"
}

bench_start() {
  local name="$1" log="$WORK/$1.log"
  shift
  : >"$log"
  setsid "$@" >"$log" 2>&1 &
  SERVER_PID=$!
  SERVER_PIDS+=("$SERVER_PID")
  ADDRESS=
  for _ in $(seq 600); do
    # bare_echo_server prints {"listening":"ADDR"}; our servers a JSON log line with
    # "msg":"listening" and "address":"ADDR".
    ADDRESS="$(grep -oE '"(listening|address)":"[^"]*"' "$log" | head -n1 | cut -d'"' -f4 || true)"
    [[ -n "$ADDRESS" ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  note "$name did not report a listening address; its output:"
  cat "$log" >&2
  exit 1
}

field() { grep -oE "\"$2\":[-0-9.eE+]+" "$1" | head -n1 | cut -d: -f2; }

median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print ""; else if (NR%2) print v[(NR+1)/2]; else printf "%.6g\n", (v[NR/2]+v[NR/2+1])/2}'; }

#!/usr/bin/env bash
# The whole clinic network on this machine: installs what is missing (apt-get), builds,
# starts a private redis-server and the four services on 127.0.0.1 with SQLite files
# under one state folder, seeds a demo network (two clinics, practitioners, products),
# prints the endpoints and development tokens, and stops everything on Ctrl-C.
# Running it again reuses the state folder (the seed is idempotent).
#
# Environment: CLINIC_STATE_DIR (default .state/local), CLINIC_BASE_PORT (default 50051:
# patient, +1 scheduling, +2 inventory, +3 notification), CLINIC_METRICS_BASE_PORT
# (default 9101), CLINIC_LOCAL_REDIS_PORT (default 6390), CLINIC_BUILD_DIR (default build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state=${CLINIC_STATE_DIR:-$root/.state/local}
base_port=${CLINIC_BASE_PORT:-50051}
metrics_base=${CLINIC_METRICS_BASE_PORT:-9101}
redis_port=${CLINIC_LOCAL_REDIS_PORT:-6390}
build=${CLINIC_BUILD_DIR:-$root/build}
services=(patient scheduling inventory notification)

"$root/tools/install-deps.sh"
echo "building (first time takes a few minutes)..." >&2
CLINIC_BUILD_DIR=$build "$root/tools/build.sh" -- patient_service scheduling_service inventory_service \
  notification_service clinic_token >&2

mkdir -p "$state/logs"
key="$state/jwt-hs256.key"
[[ -s "$key" ]] || (umask 077 && openssl rand -hex 32 >"$key")

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$redis_port" $(seq "$base_port" $((base_port + 3))) $(seq "$metrics_base" $((metrics_base + 3))); do
  if port_busy "$port"; then
    echo "port $port on 127.0.0.1 is in use (another run?). Stop it or set CLINIC_BASE_PORT / CLINIC_METRICS_BASE_PORT / CLINIC_LOCAL_REDIS_PORT." >&2
    exit 1
  fi
done

pids=()
stop_all() {
  trap - INT TERM EXIT
  echo >&2
  echo "stopping..." >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped; state kept in $state" >&2
}
trap stop_all EXIT
trap 'exit 0' INT TERM

# Redis: private, persistence to the state folder, never evicting (queue entries must stay).
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$state" --dbfilename redis.rdb \
  --appendonly yes --appendfilename redis.aof --maxmemory-policy noeviction \
  >"$state/logs/redis.log" 2>&1 &
pids+=($!)

for i in "${!services[@]}"; do
  name=${services[$i]}
  extra=()
  # Notification: reminders go to a file sink in the state folder; contacts come from patient.
  [[ $name == notification ]] && extra=(--sink_path="$state/notification-sink.jsonl" --patient_address="127.0.0.1:$base_port")
  # Inventory: staff alerts go to the notification service through the outbox.
  [[ $name == inventory ]] && extra=(--notification_address="127.0.0.1:$((base_port + 3))")
  "$build/services/$name/${name}_service" "${extra[@]}" \
    --address=127.0.0.1 --port=$((base_port + i)) \
    --metrics_address=127.0.0.1 --metrics_port=$((metrics_base + i)) \
    --database_url="sqlite://$state/$name.db" \
    --redis_url="redis://127.0.0.1:$redis_port" \
    --jwt_hs256_key_file="$key" \
    --shutdown_delay=0s \
    >"$state/logs/$name.log" 2>&1 &
  pids+=($!)
done

for i in "${!services[@]}"; do
  name=${services[$i]}
  full="clinic.$name.v1.${name^}Service"
  if ! "$root/tools/grpc_probe.py" wait "127.0.0.1:$((base_port + i))" "$full" 30; then
    echo "$name did not become SERVING; see $state/logs/$name.log:" >&2
    tail -n 20 "$state/logs/$name.log" >&2
    exit 1
  fi
done

sqlite3 "$state/scheduling.db" <"$root/deploy/local/seed/scheduling.sql"
sqlite3 "$state/inventory.db" <"$root/deploy/local/seed/inventory.sql"
sqlite3 "$state/patient.db" <"$root/deploy/local/seed/patient.sql"

token() { "$build/tools/mint_token/clinic_token" --key_file="$key" --ttl=12h "$@"; }
cat <<MSG

The clinic network is running (logs in $state/logs):
  patient       127.0.0.1:$base_port   metrics http://127.0.0.1:$metrics_base/metrics
  scheduling    127.0.0.1:$((base_port + 1))   metrics http://127.0.0.1:$((metrics_base + 1))/metrics
  inventory     127.0.0.1:$((base_port + 2))   metrics http://127.0.0.1:$((metrics_base + 2))/metrics
  notification  127.0.0.1:$((base_port + 3))   metrics http://127.0.0.1:$((metrics_base + 3))/metrics
  redis         127.0.0.1:$redis_port
Demo network: clinic-north and clinic-south, four practitioners, eight products,
two patients (patients/demo-amelia-hart shared with the network, patients/demo-tom-reid).

Development tokens (12 h; send as 'authorization: Bearer <token>'):
  clinician at clinic-north:  $(token --subject=dr-amara --clinic=clinic-north --role=clinician)
  reception at clinic-north:  $(token --subject=reception-north --clinic=clinic-north --role=reception)
  network admin:              $(token --subject=ops --role=network_admin)
Mint more: $build/tools/mint_token/clinic_token --key_file=$key --subject=… --clinic=… --role=…

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}" || true
echo "a process exited unexpectedly; see $state/logs" >&2
exit 1

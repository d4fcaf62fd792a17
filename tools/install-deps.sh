#!/usr/bin/env bash
# Installs, with apt-get, every Debian 12 package the build, the local run and the tests
# need, skipping what is already installed. Run as root (or with sudo available).
#   tools/install-deps.sh          build + run dependencies
#   tools/install-deps.sh --test   also what the tests need (PostgreSQL, Node.js for buf)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git lld
  protobuf-compiler libprotobuf-dev libprotoc-dev protobuf-compiler-grpc libgrpc++-dev
  libabsl-dev libhiredis-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libcpp-httplib-dev
  libssl-dev libjwt-dev libsqlite3-dev libpq-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  redis-server sqlite3 python3 python3-grpcio openssl
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(postgresql util-linux)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "installing: ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

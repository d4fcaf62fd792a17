#!/usr/bin/env bash
# Lints the protobuf contracts under protos/ with buf (config: protos/buf.yaml).
# Installs the pinned buf from tools/buf/package-lock.json on first use (npm ci).
# Usage: tools/buf/lint.sh            exit 0 when clean; buf's findings and non-zero
#                                     otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=tools/buf/env.sh
source "${here}/env.sh"

clinic_buf_install
cd "${root}"
exec "${CLINIC_BUF}" lint protos

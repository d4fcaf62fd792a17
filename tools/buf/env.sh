# Shared by lint.sh and breaking.sh (sourced, not run): locates the pinned buf binary
# and installs it with `npm ci` when node_modules is missing.

CLINIC_BUF_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLINIC_BUF="${CLINIC_BUF_DIR}/node_modules/.bin/buf"

# Installs buf from the committed lock file unless it is already there. Quiet on
# success; npm's output is shown only when it fails.
clinic_buf_install() {
  if [[ -x "${CLINIC_BUF}" ]]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "tools/buf: npm not found; install Node.js and npm (apt-get install npm)" >&2
    return 1
  fi
  local log
  log="$(mktemp)"
  if ! (cd "${CLINIC_BUF_DIR}" && npm ci --no-audit --no-fund --loglevel=error) >"${log}" 2>&1; then
    cat "${log}" >&2
    rm -f "${log}"
    echo "tools/buf: npm ci failed in ${CLINIC_BUF_DIR}" >&2
    return 1
  fi
  rm -f "${log}"
  if [[ ! -x "${CLINIC_BUF}" ]]; then
    echo "tools/buf: npm ci did not install ${CLINIC_BUF}" >&2
    return 1
  fi
}

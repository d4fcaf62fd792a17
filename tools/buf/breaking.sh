#!/usr/bin/env bash
# Checks the protobuf contracts in the working tree's protos/ for breaking changes
# against protos/ as committed at a git ref (buf's FILE rules; config: protos/buf.yaml).
# Usage: tools/buf/breaking.sh [git-ref]     default ref: HEAD~1
# Exit: 0 no breaking change (or nothing to compare: protos/ did not exist at the ref);
#       100 breaking changes found (listed by buf); 2 bad ref; other non-zero on failure.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${here}/../.." && pwd)"
# shellcheck source=tools/buf/env.sh
source "${here}/env.sh"

ref="${1:-HEAD~1}"
cd "${root}"

if ! commit="$(git rev-parse --verify --quiet "${ref}^{commit}")"; then
  echo "breaking.sh: '${ref}' is not a commit of this repository" >&2
  exit 2
fi
if ! git cat-file -e "${commit}:protos" 2>/dev/null; then
  echo "breaking.sh: protos/ did not exist at ${ref} (${commit:0:12}); nothing to compare"
  exit 0
fi

clinic_buf_install

# Export the ref's protos/ into a temporary directory (read-only for the repository:
# no checkout, no change to the index or the working tree).
against="$(mktemp -d)"
trap 'rm -rf "${against}"' EXIT
git archive --format=tar "${commit}" protos | tar -x -C "${against}"

if ! find "${against}/protos" -name '*.proto' -print -quit | grep -q .; then
  echo "breaking.sh: no .proto files in protos/ at ${ref} (${commit:0:12}); nothing to compare"
  exit 0
fi

echo "breaking.sh: protos/ (working tree) against ${ref} (${commit:0:12})"
"${CLINIC_BUF}" breaking protos --against "${against}/protos"
echo "breaking.sh: no breaking changes"

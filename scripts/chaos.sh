#!/usr/bin/env bash
# npm run chaos [-- scenario ...]: the fault-injection suite on the local stack, printing its table.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_deps
build
bash stack/stack.sh up
exec node --enable-source-maps dist/chaos/run.js "$@"

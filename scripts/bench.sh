#!/usr/bin/env bash
# npm run bench [-- steady|max|join|memory|recovery|scale]: benchmark scenarios on the local stack, printing figures.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_deps
build
bash stack/stack.sh up
exec node --enable-source-maps --expose-gc dist/loadtest/bench.js "$@"

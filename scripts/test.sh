#!/usr/bin/env bash
# npm test: every test. Unit tests of the pure core, then integration and end-to-end tests
# against the real local stack (Kafka, NATS JetStream, ClickHouse, Temporal), started if needed.
#   npm test                      all of them
#   npm test -- unit              only the unit tests (no services)
#   npm test -- dist/test/integration/crash.test.js   one file (after a build)
# ClickHouse is the current engine (26.9) unless SLUICE_CLICKHOUSE=18.16 (see stack/stack.sh);
# .ci/run runs the ClickHouse-facing integration tests on both.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_deps
build
case "${1:-all}" in
  unit) files=(dist/test/unit/*.test.js) ;;
  all) files=(dist/test/unit/*.test.js dist/test/integration/*.test.js) ;;
  *) files=("$@") ;;
esac
if printf '%s\n' "${files[@]}" | grep -q integration; then ensure_chromium; bash stack/stack.sh up; fi
# files one after another: the integration tests share one 2-core machine with four services
exec node --enable-source-maps --test --test-concurrency=1 --test-reporter=spec "${files[@]}"

#!/usr/bin/env bash
# npm start: the main job on the local stack. Installs what is missing, brings the services up,
# starts the API and a worker, runs the demo pipeline, and shows where everything listens.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_deps
build
bash stack/stack.sh up
start_app worker dist/worker/main.js
start_app api dist/api/main.js
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:${SLUICE_API_PORT:-4000}/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
node --enable-source-maps dist/loadtest/demo.js
cat <<EOT

Sluice is running:
  web UI          http://127.0.0.1:${SLUICE_API_PORT:-4000}/ui/
  GraphQL API     http://127.0.0.1:${SLUICE_API_PORT:-4000}/graphql   (open: no API tokens configured)
  API metrics     http://127.0.0.1:${SLUICE_API_PORT:-4000}/metrics
  worker metrics  http://127.0.0.1:${SLUICE_WORKER_METRICS_PORT:-9464}/metrics
  Temporal UI     http://127.0.0.1:${SLUICE_TEMPORAL_UI_PORT:-8233}
  Kafka           127.0.0.1:${SLUICE_KAFKA_PORT:-9092}     NATS  nats://127.0.0.1:${SLUICE_NATS_PORT:-4222}
  ClickHouse      http://127.0.0.1:${SLUICE_CLICKHOUSE_PORT:-8123}  (SELECT * FROM sluice_demo.purchases)
  logs            $STACK_DIR/logs/
Stop everything with: npm run stack -- down
EOT

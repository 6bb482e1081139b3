# syntax=docker/dockerfile:1
# Sluice: one image, two processes (the chart picks one per Deployment):
#   API:    node dist/api/main.js     GraphQL /graphql, the UI, /healthz, /metrics on SLUICE_API_PORT (4000)
#   worker: node dist/worker/main.js  Temporal worker; /metrics and /healthz on SLUICE_WORKER_METRICS_PORT (9464)
# Build:  docker build -t sluice:dev .
# Run:    docker run --rm -p 4000:4000 -e SLUICE_TEMPORAL_ADDRESS=... sluice:dev
#         docker run --rm sluice:dev node dist/worker/main.js
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile the TypeScript (needs the dev dependencies: typescript, @types/*).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# patches/: fixes to dependencies, applied by patch-package on install (README "Libraries, and the ones we patch")
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY core ./core
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY cli ./cli
COPY loadtest ./loadtest
RUN npx tsc -p tsconfig.json && node dist/worker/workflowBundle.js && node dist/api/uiVendor.js

# 2. Production dependencies only (@temporalio/core-bridge ships prebuilt glibc binaries, hence
#    Debian rather than Alpine).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund --loglevel=error

# 3. Runtime: compiled code + production node_modules, owned by root and read-only to the
#    process, which runs as the image's unprivileged `node` user (uid 1000).
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    SLUICE_API_HOST=0.0.0.0 \
    SLUICE_WORKER_METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY api/ui ./api/ui
COPY package.json ./
COPY bin ./bin
COPY pipelines ./pipelines
# the load test's scenario scripts name pipeline files by repository path (loadtest/scenarios/*.yaml)
COPY loadtest ./loadtest
USER 1000:1000
EXPOSE 4000 9464
# node is PID 1: both processes handle SIGTERM themselves (the API closes its server, the
# Temporal worker drains for up to 20 s), so no init process is needed.
CMD ["node", "--enable-source-maps", "dist/api/main.js"]

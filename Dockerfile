# batchql gateway image: `docker build -t batchql .`, then `docker run -p 4000:4000 --env-file … batchql`.
# What the runtime stage runs is tested without Docker by test/ops/image.test.ts (a production-only
# `npm ci` from the lockfile, the built dist/, this file's CMD and HEALTHCHECK).

# Build stage: every dependency (typescript and vite among them), then `npm run build` (tsc to dist/, and the
# dashboard's bundle to dist/dashboard/).
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY schema ./schema
COPY src ./src
COPY dashboard ./dashboard
RUN npm run build

# Runtime stage: production dependencies only (no tsx, no typescript, no vite), the build (the dashboard
# included) and the SDL it reads.
FROM node:24-slim AS runtime
ENV NODE_ENV=production PORT=4000 DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY schema ./schema
# The image's own unprivileged user (uid 1000). It writes only the ledger (docs/ledger.md), in /app/data: owned by
# it, and a volume, so the ledger outlives the container (mount one per replica).
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
USER node
EXPOSE 4000
# Liveness: GET /health (node:24-slim has no curl or wget; src/healthcheck.ts uses node's fetch).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "dist/healthcheck.js"]
# node is PID 1 and gets SIGTERM itself (not through npm or a shell): a graceful shutdown within
# SHUTDOWN_TIMEOUT_MS (25 s). Give the orchestrator's stop timeout a few seconds more (compose: stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]

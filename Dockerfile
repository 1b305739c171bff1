# The hook server image (metacontroller/hooks.yaml runs it): Bun, the hooks' TypeScript sources
# run as they are (Bun transpiles on load, no build step), production dependencies only, non-root,
# fit for a read-only root filesystem.
#
#   docker build -t vitess-operator-hooks:0.1.0 .

# Dependencies are installed by npm from package-lock.json, the lockfile this repo keeps:
# `bun install --frozen-lockfile` wants bun.lock, and migrating the lockfile at build time would
# not be frozen. The runtime dependencies are plain JavaScript, so the tree moves into the Bun image
# as is. --ignore-scripts: none of them needs an install script, and none runs at build time.
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM oven/bun:1.4.5-slim
WORKDIR /app
ENV NODE_ENV=production \
    PORT=8080 \
    # Bun writes temporary files under TMPDIR and, unless told not to, a transpiler cache: with a
    # read-only root filesystem the Pod mounts an emptyDir at /tmp and the cache is off.
    TMPDIR=/tmp \
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
COPY lib ./lib
COPY hooks ./hooks
COPY crds ./crds
# The files stay root's and read-only to the server; 65532 is the conventional "nonroot" uid.
USER 65532:65532
EXPOSE 8080
# Probes (/healthz, /readyz) are Kubernetes', so no HEALTHCHECK. SIGTERM drains (docs/hook-server.md).
CMD ["bun", "run", "hooks/server.ts"]

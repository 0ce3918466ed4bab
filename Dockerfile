# syntax=docker/dockerfile:1
# One image for every Keyward app (docker-compose.yml picks the app with `command`).
#   build    — the whole workspace with dev dependencies: builds every app; compose's `migrate` job
#              runs `prisma migrate deploy` from it.
#   runtime  — production dependencies and the built bundles only, run as the unprivileged `node` user.

FROM node:20-bookworm-slim AS build
WORKDIR /repo
ENV NX_NO_CLOUD=true NX_DAEMON=false NX_TELEMETRY=false CI=true
COPY . .
# The lock cannot list other platforms' optional binaries (see .ci/run): fall back to npm install,
# which installs the same locked versions.
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
RUN npx nx run-many -t build --projects=tag:type:app --output-style=static

FROM build AS production-dependencies
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
# SoftHSM2 for the HSM's pkcs11 backend; production mounts its own PKCS#11 module instead.
RUN apt-get update \
  && apt-get install -y --no-install-recommends softhsm2 ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=production-dependencies /repo/package.json /repo/package-lock.json ./
COPY --from=production-dependencies /repo/node_modules ./node_modules
COPY --from=build /repo/dist ./dist
COPY --from=build /repo/apps/cli/bin ./apps/cli/bin
RUN ln -s /app/apps/cli/bin/keyward.js /usr/local/bin/keyward
USER node
CMD ["keyward", "--help"]

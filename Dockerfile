# Production image: compiled JavaScript on a supported LTS Node, no transpiler at run time,
# run as the non-root `node` user. The service talks to external Postgres, MinIO and clamd
# (see docker-compose.yml).

# --- build: install everything, compile src/, db/, workflows/ into dist/ (npm run build)
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY db ./db
COPY workflows ./workflows
COPY assets ./assets
RUN npm run build

# --- runtime: production dependencies only, and the compiled tree
FROM node:22-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# patch-package applies patches/ (the postgres.js reconnect fix) on install
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /var/lib/appraisal && chown node:node /var/lib/appraisal
USER node
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/var/lib/appraisal
EXPOSE 3000
CMD ["node", "--enable-source-maps", "dist/src/server.js"]

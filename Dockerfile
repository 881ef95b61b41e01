# Production image: the service talks to external Postgres and MinIO (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY db ./db
COPY workflows ./workflows
COPY assets ./assets
RUN mkdir -p /var/lib/appraisal && chown node:node /var/lib/appraisal
USER node
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/var/lib/appraisal
EXPOSE 3000
CMD ["node", "--import", "tsx", "src/server.ts"]

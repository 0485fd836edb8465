# kasane: the CLI and the in-cluster daemon (`kasane daemon`).
# Build:  docker build -t kasane:0.1.0 .
FROM node:20-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/
COPY src ./src
# The bundle step loads bin/load-bundle.js and renders two environments for its code cache.
COPY bin ./bin
COPY charts ./charts
COPY environments ./environments
RUN npm run build

FROM node:20-slim
# git for the daemon's fetches; ssh for SSH remotes; ca-certificates for HTTPS remotes.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
RUN groupadd --system --gid 10001 kasane \
 && useradd --system --uid 10001 --gid kasane --home-dir /home/kasane --create-home kasane \
 && mkdir -p /var/cache/kasane && chown kasane:kasane /var/cache/kasane
USER 10001:10001
ENV NODE_ENV=production HOME=/home/kasane
EXPOSE 8080
# tini forwards SIGTERM to node, so a shutdown stops the sync in flight at a safe point.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/kasane.js"]
CMD ["daemon", "--help"]

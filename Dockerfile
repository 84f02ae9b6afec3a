# Switchboard broker image. Node 22 LTS (the SDKs and TypeORM need 22.13+).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces (client, CLI) must be declared before npm ci links them.
COPY packages/client/package.json ./packages/client/
COPY packages/cli/package.json ./packages/cli/
COPY packages/cli/bin ./packages/cli/bin
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY providers ./providers
COPY migrations ./migrations
COPY test ./test
COPY packages ./packages
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
# The production profile (README "Production"): refuses to start with development conveniences.
ENV NODE_ENV=production SWITCHBOARD_PROFILE=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The data dir (SWITCHBOARD_DATA_DIR): the development audit key when SWITCHBOARD_AUDIT_KEYS is unset.
RUN mkdir -p /app/.switchboard && chown node:node /app/.switchboard
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:3000/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The heap budget from package.json's start script (README "Memory"): a small
# young generation and a bounded old one keep a 1M-row export under 200 MB RSS.
CMD ["node", "--max-old-space-size=512", "--max-semi-space-size=8", "dist/apps/broker/src/main.js"]

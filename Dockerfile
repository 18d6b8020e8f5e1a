# syntax=docker/dockerfile:1
# Thalogos in a container: the runtime, the console and the pinned agent CLIs (codex, claude,
# gemini) on Node 20 / Debian bookworm, as a non-root user, with git and bubblewrap for the agents'
# sandbox. Data (LevelDB, worktrees, run records) lives on the /data volume; repositories are
# mounted under /repos. See docs/runbooks/container.md (how to run it, and what was built here).

ARG NODE_IMAGE=node:20-bookworm

# --- build: install everything, compile the runtime and the console --------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
  # Runtime dependencies only, plus the agent CLIs at the versions the lockfile pins (they are
  # devDependencies because the test suite drives them too).
  && node -e "const l=require('./package-lock.json').packages;console.log(['@openai/codex','@anthropic-ai/claude-code','@google/gemini-cli'].map(n=>n+'@'+l['node_modules/'+n].version).join(' '))" > /tmp/agent-clis \
  && npm prune --omit=dev --no-audit --no-fund \
  && npm install --no-save --no-audit --no-fund $(cat /tmp/agent-clis)

# --- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE}-slim AS runtime
RUN apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git bubblewrap ca-certificates tini \
  && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 10001 thalogos \
  && useradd --uid 10001 --gid thalogos --create-home --shell /usr/sbin/nologin thalogos \
  && mkdir -p /data /repos \
  && chown thalogos:thalogos /data /repos
ENV NODE_ENV=production \
    THALOGOS_HOST=0.0.0.0 \
    THALOGOS_PORT=7420 \
    THALOGOS_DATA_DIR=/data \
    THALOGOS_REPO_ROOTS=/repos
WORKDIR /app
# Read-only for the service user: it writes only to /data (and the repositories it is given).
COPY --from=build --chown=root:root /app /app
USER thalogos
VOLUME ["/data"]
EXPOSE 7420
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.THALOGOS_PORT||7420)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# tini reaps the agents' orphaned processes and forwards SIGTERM, so a stop drains cleanly.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "bin/thalogos.mjs", "serve"]

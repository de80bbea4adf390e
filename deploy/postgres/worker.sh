#!/usr/bin/env bash
# The worker role, on any machine with a clone of paperlake at the path its deployments recorded
# (`prefect deploy` stores the clone's path, see deploy/prefect.yaml). It creates the process work
# pool if the server has none yet, then runs each flow run the server hands it as a child process
# with this environment (set PAPERLAKE_LAKE, PAPERLAKE_HF_URL, ... before starting it).
# Runs in the foreground; SIGTERM stops it. Start as many as you like: each takes runs from the pool.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/settings.env"
prefect="$(cd "$here/../.." && pwd)/.venv/bin/prefect"

"$prefect" work-pool inspect "$PAPERLAKE_WORK_POOL" >/dev/null 2>&1 \
    || "$prefect" work-pool create "$PAPERLAKE_WORK_POOL" --type process
exec "$prefect" worker start --pool "$PAPERLAKE_WORK_POOL"

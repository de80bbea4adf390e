#!/usr/bin/env bash
# The server role: Prefect's API, UI and services (scheduler included) on the PostgreSQL database of
# settings.env. It migrates the database's schema as it starts. Runs in the foreground; SIGTERM stops it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/settings.env"
repo="$(cd "$here/../.." && pwd)"

exec "$repo/.venv/bin/prefect" server start --host "$PREFECT_SERVER_API_HOST" --port "$PREFECT_SERVER_API_PORT"

#!/usr/bin/env bash
# The database role: a PostgreSQL cluster for Prefect's server, run as the `postgres` user.
#   deploy/postgres/database.sh start   # creates the cluster, role and database the first time; returns once it accepts connections
#   deploy/postgres/database.sh stop
# Needs Debian's postgresql package (apt-get install -y postgresql) and root (it switches to `postgres`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/settings.env"

bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
data="$PAPERLAKE_PG_DIR/data"
as_postgres() { (cd "$PAPERLAKE_PG_DIR" && runuser -u postgres -- "$@"); }   # postgres cannot read root's cwd
psql_admin() { as_postgres "$bin/psql" -h "$PAPERLAKE_PG_DIR" -p "$PAPERLAKE_PG_PORT" -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

init_cluster() {
    install -d -o postgres -g postgres -m 700 "$PAPERLAKE_PG_DIR"
    # Local socket: the postgres user only (peer). TCP: passwords (scram-sha-256), what Prefect's server uses.
    as_postgres "$bin/initdb" -D "$data" --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --no-instructions >/dev/null
}

create_database() {
    local password_sql="${PAPERLAKE_PG_PASSWORD//\'/\'\'}"
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PAPERLAKE_PG_USER'")" ]; then
        psql_admin -c "CREATE ROLE \"$PAPERLAKE_PG_USER\" LOGIN PASSWORD '$password_sql'"
    fi
    if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PAPERLAKE_PG_DATABASE'")" ]; then
        psql_admin -c "CREATE DATABASE \"$PAPERLAKE_PG_DATABASE\" OWNER \"$PAPERLAKE_PG_USER\""
    fi
}

case "${1:-}" in
start)
    [ -f "$data/PG_VERSION" ] || init_cluster
    # -w: return once it accepts connections (or fail after -t seconds), so the server can start right after.
    as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null \
        || as_postgres "$bin/pg_ctl" -D "$data" -l "$PAPERLAKE_PG_DIR/postgres.log" -w -t 60 start \
            -o "-p $PAPERLAKE_PG_PORT -k $PAPERLAKE_PG_DIR -c listen_addresses=$PAPERLAKE_PG_HOST"
    create_database
    ;;
stop)
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

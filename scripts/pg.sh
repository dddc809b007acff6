#!/usr/bin/env bash
# The private PostgreSQL + PostGIS cluster of this checkout: never a system cluster.
#   scripts/pg.sh env     print the PG* variables that reach it (for eval / make)
#   scripts/pg.sh start   create it if needed, start it, create roles and the database
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh status
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORT=${EU_PGPORT:-54329}
DB=${EU_PGDATABASE:-eurbanisme}
APP_ROLE=${EU_PGUSER:-eurbanisme}
READER_ROLE=${EU_READER_ROLE:-eurbanisme_reader}
hash=$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)

# PostgreSQL refuses to run as root: as root the cluster belongs to the postgres user, who must
# be able to enter every parent directory of the data directory.
if [ "$(id -u)" = 0 ]; then
  OWNER=postgres
  # From /, since postgres may not be able to enter the current directory.
  as_owner() { (cd / && runuser -u postgres -- "$@"); }
else
  OWNER=$(id -un)
  as_owner() { "$@"; }
fi

base_dir() {
  if [ -n "${EU_PGBASE:-}" ]; then echo "$EU_PGBASE"; return; fi
  if [ "$OWNER" != postgres ] || as_owner test -x "$ROOT" 2>/dev/null; then
    echo "$ROOT/var/pg"
  else
    # A clone under a mode-700 home: use a per-checkout directory the postgres user can enter.
    echo "/var/tmp/eurbanisme-$hash/pg"
  fi
}
BASE=$(base_dir)
DATA=$BASE/data
SOCK=$BASE/run
# Unix socket paths are limited to 107 bytes.
if [ ${#SOCK} -gt 90 ]; then SOCK=/tmp/eurbanisme-$hash; fi

pg_bin() {
  local major
  major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  [ -n "$major" ] || { echo "pg.sh: PostgreSQL is not installed (run make setup)" >&2; exit 1; }
  echo "/usr/lib/postgresql/$major/bin"
}
BIN=$(pg_bin)

psql_su() { PGOPTIONS="-c client_min_messages=warning" as_owner "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PORT" -U postgres "$@"; }

running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

cmd_env() {
  cat <<ENV
PGHOST=$SOCK
PGPORT=$PORT
PGDATABASE=$DB
PGUSER=$APP_ROLE
EU_PGDATA=$DATA
ENV
}

cmd_start() {
  mkdir -p "$BASE" "$SOCK"
  if [ "$OWNER" = postgres ]; then
    chown postgres: "$BASE" "$SOCK"
    # The fallback directory's parent must be enterable by postgres but is private to it.
    case "$BASE" in /var/tmp/*) chown postgres: "$(dirname "$BASE")"; chmod 700 "$(dirname "$BASE")";; esac
  fi
  if [ ! -s "$DATA/PG_VERSION" ]; then
    echo "  creating the private cluster in $DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
# e-urbanisme private cluster: unix socket only, never the system port.
listen_addresses = ''
port = $PORT
unix_socket_directories = '$SOCK'
timezone = 'UTC'
shared_buffers = 256MB
max_connections = 200
fsync = on
logging_collector = off
CONF
  fi
  # The socket directory may have moved (fallback to /tmp): keep the config in step.
  as_owner sed -i "s|^unix_socket_directories = .*|unix_socket_directories = '$SOCK'|" "$DATA/postgresql.conf"
  if ! running; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$BASE/postgres.log" -w -t 60 start >/dev/null
  fi
  psql_su -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$APP_ROLE') THEN
    CREATE ROLE "$APP_ROLE" LOGIN CREATEDB CREATEROLE;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$READER_ROLE') THEN
    CREATE ROLE "$READER_ROLE" LOGIN NOINHERIT;
  END IF;
END \$\$;
SQL
  # PostGIS in template1, so that test databases created by the app role have it too.
  psql_su -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis"
  if ! psql_su -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    psql_su -d postgres -c "CREATE DATABASE \"$DB\" OWNER \"$APP_ROLE\""
  fi
  psql_su -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS postgis"
}

cmd_stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null && echo "  private database stopped"; fi
}

case "${1:-}" in
  env) cmd_env ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) if running; then echo "running: $DATA (socket $SOCK, port $PORT)"; else echo "stopped: $DATA"; exit 3; fi ;;
  psql) shift; psql_su -d "$DB" "$@" ;;
  *) echo "usage: $0 env|start|stop|status|psql" >&2; exit 2 ;;
esac

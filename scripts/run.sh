#!/usr/bin/env bash
# Serves the demo on http://127.0.0.1:$PORT until Ctrl-C or `make stop`, then stops everything it
# started, the private database included.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/setup.sh
. scripts/env.sh
PORT=${PORT:-8000}
export EU_DEMO=${EU_DEMO:-1}
# The embedded default serves plain HTTP on loopback: cookies cannot be "secure" there.
export EU_SECURE_COOKIES=${EU_SECURE_COOKIES:-0}
export EU_DB_POOL_SIZE=${EU_DB_POOL_SIZE:-8}

stop() {
  trap - INT TERM EXIT
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -f "$ROOT/var/run.pid"
  "$ROOT/scripts/pg.sh" stop
  exit 0
}
trap stop INT TERM EXIT
cd backend
../.venv/bin/python -m eurbanisme.serve --host 127.0.0.1 --port "$PORT" --workers "${EU_WORKERS:-2}" &
pid=$!
echo "$pid" > "$ROOT/var/run.pid"
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.5
done
echo "e-urbanisme is served at http://127.0.0.1:$PORT (Ctrl-C or 'make stop' to stop)"
wait "$pid"

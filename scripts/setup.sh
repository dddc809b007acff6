#!/usr/bin/env bash
# Sets up everything e-urbanisme needs on a fresh Debian 12 or 13 machine, without a prompt.
# Idempotent: each step checks what is already there and skips it.
#   scripts/setup.sh [--no-demo]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
DEMO=1
[ "${1:-}" = "--no-demo" ] && DEMO=0
STEPS=7
step() { printf '\033[1m[%s/%s] %s\033[0m\n' "$1" "$STEPS" "$2"; }
t0=$(date +%s)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: root is needed to install system packages: $*" >&2; exit 1; fi
}
apt_install() {
  [ $# -eq 0 ] && return 0
  echo "  installing: $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    | grep -E '^(Setting up|E:)' || true
}
missing() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done; }

step 1 "System packages (PostgreSQL + PostGIS, GDAL, Chromium, fonts, Node.js)"
if [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then apt_install postgresql; fi
PG_MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
need=$(missing "postgresql-$PG_MAJOR-postgis-3" postgresql-contrib gdal-bin chromium fonts-noto-core \
  ca-certificates)
python3 -c 'import venv, ensurepip' 2>/dev/null || need="$need python3-venv"
command -v node >/dev/null && command -v npm >/dev/null || need="$need nodejs npm"
# shellcheck disable=SC2086
apt_install $need
echo "  PostgreSQL $PG_MAJOR, PostGIS $(ls /usr/share/postgresql/$PG_MAJOR/extension/postgis.control >/dev/null && echo 3), $(gdalinfo --version | cut -d, -f1), node $(node --version)"

step 2 "Python environment (.venv, pinned by requirements.lock)"
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.installed 2>/dev/null)" != "$want" ]; then
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q --progress-bar on -r requirements.lock
  echo "$want" > .venv/.installed
else
  echo "  up to date"
fi

step 3 "Web map (npm ci, glyphs, vite build)"
want=$(cd frontend && find . -path ./node_modules -prune -o -path ./dist -prune \
  -o -path ./public/glyphs -prune -o -type f -print \
  | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [ ! -f frontend/dist/index.html ] || [ "$(cat frontend/dist/.built 2>/dev/null)" != "$want" ]; then
  lock=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
  if [ "$(cat frontend/node_modules/.installed 2>/dev/null)" != "$lock" ]; then
    npm --prefix frontend ci --no-audit --no-fund --loglevel=error
    echo "$lock" > frontend/node_modules/.installed
  fi
  # Map glyphs (SDF) from the Noto fonts, into public/ which Vite copies to dist/.
  .venv/bin/python frontend/tools/build_glyphs.py frontend/public/glyphs
  npm --prefix frontend run --silent build
  # OpenLayers for the admin's map widgets, served locally like everything else.
  mkdir -p frontend/dist/vendor/ol
  cp frontend/node_modules/ol/dist/ol.js frontend/node_modules/ol/ol.css frontend/dist/vendor/ol/
  echo "$want" > frontend/dist/.built
else
  echo "  up to date"
fi

step 4 "Private PostgreSQL cluster (unix socket, never the system cluster)"
scripts/pg.sh start
scripts/pg.sh status

# shellcheck source=scripts/env.sh
. scripts/env.sh
step 5 "Database schema (migrate)"
.venv/bin/python backend/manage.py migrate --noinput -v 0
echo "  done"

step 6 "Demo data"
if [ "$DEMO" = 1 ]; then
  .venv/bin/python backend/manage.py load_demo --if-empty
else
  echo "  skipped"
fi
step 7 "OGC API configuration and OpenAPI document (var/ogc, from the publish views)"
.venv/bin/python backend/manage.py ogc_config

echo "Set-up finished in $(( $(date +%s) - t0 )) s."

# Sourced by the Makefile's recipes: the environment of the embedded default (private cluster).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
eval "$("$ROOT/scripts/pg.sh" env | sed 's/^/export /')"
mkdir -p "$ROOT/var/static" "$ROOT/var/media"
# No default secret in code: the embedded default makes one per checkout.
if [ -z "${EU_SECRET_KEY:-}" ]; then
  [ -s "$ROOT/var/secret_key" ] || (umask 077; head -c 48 /dev/urandom | base64 >"$ROOT/var/secret_key")
  export EU_SECRET_KEY=$(cat "$ROOT/var/secret_key")
fi
export PYTHONPATH="$ROOT:$ROOT/backend${PYTHONPATH:+:$PYTHONPATH}"
export DJANGO_SETTINGS_MODULE=eurbanisme.settings

#!/usr/bin/env bash
# Backup and restore of e-urbanisme: the database (every table, the register and its files
# included) and the uploaded documents under EU_MEDIA_ROOT, in one tar archive with a manifest
# of SHA-256 sums. The database is the one the PG* variables name (scripts/env.sh).
#   scripts/backup.sh backup [ARCHIVE]   default var/backups/eurbanisme-<UTC time>.tar
#   scripts/backup.sh restore ARCHIVE    REPLACES the database $PGDATABASE and the media files
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MEDIA=${EU_MEDIA_ROOT:-$ROOT/var/media}
: "${PGDATABASE:?set the PG* variables (. scripts/env.sh)}"

backup() {
  local archive=${1:-$ROOT/var/backups/eurbanisme-$(date -u +%Y%m%dT%H%M%SZ).tar}
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$(dirname "$archive")" "$work/media"
  echo "[1/3] database $PGDATABASE"
  pg_dump -Fc -f "$work/database.dump" "$PGDATABASE"
  echo "[2/3] media files from $MEDIA"
  if [ -d "$MEDIA" ]; then cp -a "$MEDIA/." "$work/media/"; fi
  echo "[3/3] manifest and archive"
  (cd "$work" && find database.dump media -type f -print0 | sort -z | xargs -0 sha256sum > MANIFEST.sha256)
  tar -cf "$archive" -C "$work" MANIFEST.sha256 database.dump media
  echo "backup written: $archive"
}

restore() {
  local archive=${1:?give the archive to restore}
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  echo "[1/4] checking $archive"
  tar -xf "$archive" -C "$work"
  (cd "$work" && sha256sum --quiet -c MANIFEST.sha256) \
    || { echo "restore: the archive is damaged (checksums differ); nothing was changed" >&2; exit 1; }
  echo "[2/4] database $PGDATABASE (recreated)"
  dropdb --if-exists "$PGDATABASE"
  createdb -T template1 "$PGDATABASE"
  # PostGIS comes with template1: leave out its comment and its reference data, which belong to
  # the extension's owner.
  pg_restore -l "$work/database.dump" \
    | grep -v -e 'COMMENT - EXTENSION' -e 'TABLE DATA public spatial_ref_sys' > "$work/objects.list"
  pg_restore --no-owner --exit-on-error -L "$work/objects.list" -d "$PGDATABASE" "$work/database.dump"
  echo "[3/4] media files into $MEDIA"
  mkdir -p "$MEDIA"
  find "$MEDIA" -mindepth 1 -delete
  cp -a "$work/media/." "$MEDIA/"
  echo "[4/4] done: restored $archive"
}

case "${1:-}" in
  backup) shift; backup "$@" ;;
  restore) shift; restore "$@" ;;
  *) sed -n '2,7p' "$0"; exit 2 ;;
esac

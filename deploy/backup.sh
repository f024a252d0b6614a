#!/usr/bin/env bash
# Backup of the relay's PostgreSQL database (pg_dump custom format) and of its generated secret key.
#
#   deploy/backup.sh [BACKUP_DIR]
#
# DATABASE_URL and DATA_DIR come from the environment or from $ENV_FILE
# (default /etc/asgard-relay/relay.env). Safe while the relay runs (pg_dump reads one consistent
# snapshot). Old dumps are removed after KEEP_DAYS (default 14). Prints the dump's path.
# Cron example (/etc/cron.d/asgard-relay):
#   15 3 * * * asgard /opt/asgard-phone/deploy/backup.sh /var/backups/asgard-relay >/dev/null
set -euo pipefail

ENV_FILE=${ENV_FILE:-/etc/asgard-relay/relay.env}

# Reads NAME from the env file (KEY=value, optional quotes) unless already in the environment.
from_env_file() {
  local name=$1 line
  if [[ -n "${!name:-}" || ! -r "$ENV_FILE" ]]; then return 0; fi
  line=$(grep -E "^[[:space:]]*${name}=" "$ENV_FILE" | tail -n 1 || true)
  [[ -z "$line" ]] && return 0
  line=${line#*=}
  line=${line%\"}; line=${line#\"}; line=${line%\'}; line=${line#\'}
  printf -v "$name" '%s' "$line"
  export "${name?}"
}

from_env_file DATABASE_URL
from_env_file DATA_DIR
: "${DATABASE_URL:?DATABASE_URL is not set (environment or $ENV_FILE); the embedded PGlite database is backed up by copying DATA_DIR while the relay is stopped}"

DIR=${1:-${BACKUP_DIR:-/var/backups/asgard-relay}}
KEEP_DAYS=${KEEP_DAYS:-14}
umask 077
mkdir -p "$DIR"

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="$DIR/asgard-relay-$STAMP.dump"
trap 'rm -f "$OUT.partial"' EXIT

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$OUT.partial" "$DATABASE_URL"
# A dump that pg_restore cannot list is not a backup.
pg_restore --list "$OUT.partial" >/dev/null
mv "$OUT.partial" "$OUT"

# Without RELAY_SECRET_KEY the Mango salt is encrypted with a generated key file: keep it with the dump.
KEY_FILE="${DATA_DIR:-/var/lib/asgard-relay}/relay-secret.key"
if [[ -r "$KEY_FILE" ]]; then
  cp "$KEY_FILE" "$DIR/relay-secret-$STAMP.key"
fi

find "$DIR" -maxdepth 1 -type f \( -name 'asgard-relay-*.dump' -o -name 'relay-secret-*.key' \) -mtime +"$KEEP_DAYS" -delete
echo "$OUT"

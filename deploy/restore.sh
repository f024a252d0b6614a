#!/usr/bin/env bash
# Restore a dump made by deploy/backup.sh.
#
#   deploy/restore.sh [--force] DUMP_FILE [DATABASE_URL]
#
# The target defaults to DATABASE_URL from the environment or $ENV_FILE
# (default /etc/asgard-relay/relay.env). Stop every relay instance first
# (systemctl stop asgard-relay). Into an empty database the dump is restored as is; a database
# that already holds relay tables is replaced only with --force (its tables are dropped and
# recreated from the dump, in one transaction). Start the relay afterwards: it applies the
# migrations the dump may lack. If the dump came with relay-secret-*.key, put that file back
# as DATA_DIR/relay-secret.key (or set the same RELAY_SECRET_KEY) so the Mango salt decrypts.
set -euo pipefail

FORCE=0
if [[ "${1:-}" == "--force" ]]; then FORCE=1; shift; fi
DUMP=${1:?usage: restore.sh [--force] DUMP_FILE [DATABASE_URL]}
ENV_FILE=${ENV_FILE:-/etc/asgard-relay/relay.env}

TARGET=${2:-${DATABASE_URL:-}}
if [[ -z "$TARGET" && -r "$ENV_FILE" ]]; then
  TARGET=$(grep -E '^[[:space:]]*DATABASE_URL=' "$ENV_FILE" | tail -n 1 | cut -d= -f2-)
  TARGET=${TARGET%\"}; TARGET=${TARGET#\"}; TARGET=${TARGET%\'}; TARGET=${TARGET#\'}
fi
: "${TARGET:?no target database: pass DATABASE_URL as the second argument or set it in $ENV_FILE}"

[[ -r "$DUMP" ]] || { echo "restore.sh: cannot read $DUMP" >&2; exit 2; }
pg_restore --list "$DUMP" >/dev/null || { echo "restore.sh: $DUMP is not a pg_dump archive" >&2; exit 2; }

existing=$(psql "$TARGET" -XAtqc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('mango_events', 'employees', 'schema_migrations')")
if [[ "$existing" != "0" && "$FORCE" != "1" ]]; then
  echo "restore.sh: the target database already holds relay tables; stop the relay and re-run with --force to replace them" >&2
  exit 3
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$TARGET" "$DUMP"
events=$(psql "$TARGET" -XAtqc 'SELECT count(*) FROM mango_events')
echo "restored $DUMP: $events events"

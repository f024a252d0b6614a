#!/usr/bin/env bash
# Provides what the test suite needs beyond npm packages (`npm run setup:test`, also run by
# .ci/run): Debian's dovecot-imapd/dovecot-core (private IMAP servers), isync (mbsync, the mail
# benchmark's baseline), chromium (browser tests), and a running PostgreSQL on 127.0.0.1:5432.
# Idempotent, and quick when everything is already there: apt runs only for what is missing.
set -euo pipefail

log() { printf 'setup:test: %s\n' "$*"; }
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else
    log "needs root for: $*"
    log "run this script as root (or with passwordless sudo)"
    exit 1
  fi
}

have() { [ -x "$1" ] || command -v "$(basename "$1")" >/dev/null 2>&1; }

# --- Debian packages --------------------------------------------------------------------------
missing=()
have /usr/sbin/dovecot || missing+=(dovecot-imapd dovecot-core)
have /usr/bin/doveadm || missing+=(dovecot-core)
have /usr/bin/mbsync || missing+=(isync)
have /usr/bin/chromium || missing+=(chromium)
have /usr/sbin/nginx || missing+=(nginx-light)
have /usr/bin/openssl || missing+=(openssl)
if ! ls /etc/postgresql/*/main >/dev/null 2>&1 && ! command -v pg_ctlcluster >/dev/null 2>&1; then
  missing+=(postgresql)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  # De-duplicate, keep order.
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing ${pkgs[*]} and apt-get is not available: install them with your package manager"
    exit 1
  fi
  log "installing ${pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
  # Package installs must not leave the system daemons bound to the standard ports:
  # tests run their own private Dovecot instances.
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    as_root systemctl disable --now dovecot >/dev/null 2>&1 || true
    as_root systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
else
  log "dovecot, mbsync and chromium are installed"
fi

# --- PostgreSQL on 127.0.0.1:5432 -------------------------------------------------------------
pg_up() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p 5432
  else
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
  fi
}

if pg_up; then
  log "PostgreSQL is running on 127.0.0.1:5432"
else
  versions=$(ls /etc/postgresql 2>/dev/null || true)
  if [ -z "$versions" ]; then
    log "PostgreSQL is not installed (no /etc/postgresql): apt-get install postgresql"
    exit 1
  fi
  for v in $versions; do
    log "starting PostgreSQL $v/main"
    as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true
  done
  for _ in $(seq 1 100); do
    pg_up && break
    sleep 0.2
  done
  if pg_up; then
    log "PostgreSQL is running on 127.0.0.1:5432"
  else
    log "PostgreSQL did not come up on 127.0.0.1:5432 (see /var/log/postgresql/)"
    exit 1
  fi
fi

# --- electronegativity (test/security/electronegativity.test.ts) ------------------------------
# A package of its own with its own lockfile: the tool's parser needs TypeScript's JS API, which
# the repo's TypeScript 7 does not have. `npm ci` only when the lockfile changed since the last
# install (a stamp in node_modules); lifecycle scripts are not needed and not run.
en_dir="$(cd "$(dirname "$0")/.." && pwd)/tools/electronegativity"
en_stamp="$en_dir/node_modules/.installed-lock.sha256"
en_hash=$(sha256sum "$en_dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$en_stamp" ] && [ "$(cat "$en_stamp")" = "$en_hash" ] && [ -f "$en_dir/node_modules/@doyensec/electronegativity/package.json" ]; then
  log "electronegativity is installed"
else
  log "installing electronegativity (npm ci --prefix tools/electronegativity)"
  npm ci --prefix "$en_dir" --ignore-scripts --no-audit --no-fund --loglevel=error
  printf '%s\n' "$en_hash" > "$en_stamp"
fi

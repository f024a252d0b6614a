#!/usr/bin/env bash
# Provides what `npm run bench` needs: everything the tests need (PostgreSQL, Dovecot and isync
# for the mail benchmark; scripts/setup-test.sh) plus, when Debian's packages can be installed,
# the customer guide's FastAPI example's runtime (python3-fastapi, python3-uvicorn,
# python3-multipart) for the webhook benchmark's second baseline. Without them (no apt, no
# root) that baseline is skipped with a message; everything else still runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-test.sh

log() { printf 'setup:bench: %s\n' "$*"; }
if /usr/bin/python3 -c 'import fastapi, uvicorn, multipart' >/dev/null 2>&1; then
  log "the FastAPI baseline's packages are installed"
  exit 0
fi
pkgs=(python3-fastapi python3-uvicorn python3-multipart)
if ! command -v apt-get >/dev/null 2>&1; then
  log "no apt-get: install ${pkgs[*]} (or FastAPI, uvicorn and python-multipart) to include the FastAPI baseline"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo)
else
  log "not root: install ${pkgs[*]} to include the FastAPI baseline"
  exit 0
fi
log "installing ${pkgs[*]}"
if ! { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}"; }; then
  log "could not install ${pkgs[*]}: the FastAPI baseline will be skipped"
fi

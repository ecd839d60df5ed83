#!/usr/bin/env bash
# `make test`: the whole suite. With DATABASE_URL / REDIS_URL set it runs against those
# (PostgreSQL, Redis and a real Celery worker); without them on SQLite with in-process tasks.
# Browser tests drive Debian's Chromium (/usr/bin/chromium), installed here when missing.
set -euo pipefail
source "$(dirname "$0")/venv.sh" dev
export DJANGO_SETTINGS_MODULE=config.settings.test

.venv/bin/python scripts/check_services.py

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need Chromium at $CHROMIUM: install Debian's 'chromium' package" \
         "(sudo apt-get install chromium) or set CHROMIUM to its path." >&2
    exit 1
  fi
fi

echo "==> Unit and integration tests (database: ${DATABASE_URL:-SQLite}, broker: ${REDIS_URL:-in-process})"
.venv/bin/pytest -m "not browser" "$@"
echo "==> Browser tests (Chromium)"
.venv/bin/pytest -m browser "$@"

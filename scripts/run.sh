#!/usr/bin/env bash
# `make run`: the embedded default. SQLite, tasks in process and local files under var/,
# a demo firm on the first start, then the web app on http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PORT="${PORT:-8000}"
export PROVIDER_SANDBOX_PORT="${PROVIDER_SANDBOX_PORT:-8025}"
mkdir -p var

echo "==> Preparing the database"
.venv/bin/python manage.py migrate --noinput -v 0
if [ ! -s var/demo-login.json ]; then
  echo "==> Creating the demo firm"
  .venv/bin/python manage.py seed_demo --once --firms 1 --json > var/demo-login.tmp
  mv var/demo-login.tmp var/demo-login.json
  chmod 600 var/demo-login.json
fi

.venv/bin/python - <<'PY'
import json, os
data = json.load(open("var/demo-login.json"))
port = os.environ.get("PORT", "8000")
print()
print(f"  Firm Texting is starting on http://127.0.0.1:{port}/")
for firm in data.get("firms", []):
    print(f"  Demo firm: {firm['name']}")
    for user in firm["users"]:
        print(f"    sign in as {user['role']:<5}  {user['email']}  /  {user['password']}")
print(f"  Provider sandbox (stands in for Bandwidth): http://127.0.0.1:{os.environ['PROVIDER_SANDBOX_PORT']}/")
print("  Stop with Ctrl+C. The demo logins are kept in var/demo-login.json.")
print()
PY
# The provider sandbox runs beside the app and calls its webhooks, as Bandwidth would.
.venv/bin/python manage.py run_provider_sandbox --port "$PROVIDER_SANDBOX_PORT" \
  --callback-url "http://127.0.0.1:${PORT}" > var/provider-sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null' EXIT INT TERM
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload

#!/usr/bin/env bash
# `make run`: the embedded default. SQLite, tasks in process and local files under var/,
# the provider sandbox beside the app, a demo firm on the first start, then the web app on
# http://127.0.0.1:${PORT:-8000}/.
set -euo pipefail
source "$(dirname "$0")/venv.sh"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
PORT="${PORT:-8000}"
export PROVIDER_SANDBOX_PORT="${PROVIDER_SANDBOX_PORT:-8025}"
mkdir -p var

echo "==> Preparing the database"
.venv/bin/python manage.py migrate --noinput -v 0

# The provider sandbox runs beside the app and calls its webhooks, as Bandwidth would. It
# starts before seeding: the demo firm's toll-free number is ordered from it.
echo "==> Starting the provider sandbox on port ${PROVIDER_SANDBOX_PORT}"
.venv/bin/python manage.py run_provider_sandbox --port "$PROVIDER_SANDBOX_PORT" \
  --callback-url "http://127.0.0.1:${PORT}" > var/provider-sandbox.log 2>&1 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null' EXIT INT TERM
# Ready when our sandbox says it listens (not another process on the port) and answers.
if ! SANDBOX_PID="$sandbox_pid" .venv/bin/python - <<'PY'
import os, sys, time, urllib.request
url = f"http://127.0.0.1:{os.environ['PROVIDER_SANDBOX_PORT']}/sandbox/health"
deadline = time.monotonic() + 20
while True:
    with open("var/provider-sandbox.log", errors="replace") as log:
        listening = "Provider sandbox listening on" in log.read()
    if listening:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    sys.exit(0)
        except OSError:
            pass
    try:
        os.kill(int(os.environ["SANDBOX_PID"]), 0)
    except ProcessLookupError:
        sys.exit("The provider sandbox stopped.")
    if time.monotonic() > deadline:
        sys.exit("The provider sandbox did not answer within 20 s.")
    time.sleep(0.2)
PY
then
  echo "See var/provider-sandbox.log (is port ${PROVIDER_SANDBOX_PORT} in use?" \
    "PROVIDER_SANDBOX_PORT=8026 make run uses another)." >&2
  exit 1
fi

if [ ! -s var/demo-login.json ]; then
  echo "==> Creating the demo firm (texting set up through the sandbox)"
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
    if firm.get("toll_free_number"):
        print(f"    texts from {firm['toll_free_number']}, {firm.get('messages', 0)} messages")
    for user in firm["users"]:
        print(f"    sign in as {user['role']:<5}  {user['email']}  /  {user['password']}")
print(f"  Provider sandbox (stands in for Bandwidth): http://127.0.0.1:{os.environ['PROVIDER_SANDBOX_PORT']}/")
print("  Stop with Ctrl+C. The demo logins are kept in var/demo-login.json.")
print()
PY
# Tasks run in process here; this stands in for celery beat (the outbox sweeper and friends).
.venv/bin/python manage.py run_scheduler > var/scheduler.log 2>&1 &
scheduler_pid=$!
trap 'kill "$sandbox_pid" "$scheduler_pid" 2>/dev/null; wait 2>/dev/null' EXIT INT TERM
.venv/bin/python manage.py runserver "127.0.0.1:${PORT}" --noreload

# Sourced by the other scripts: make .venv and install the project once per change of
# pyproject.toml (a stamp file remembers what was installed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
EXTRAS="${1:-}"
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed${EXTRAS:+-$EXTRAS}"
wanted="$(sha256sum pyproject.toml | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "==> Installing dependencies${EXTRAS:+ ($EXTRAS)} (first time takes a minute or two)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}"
  echo "$wanted" > "$stamp"
fi

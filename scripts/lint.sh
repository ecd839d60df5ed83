#!/usr/bin/env bash
set -euo pipefail
source "$(dirname "$0")/venv.sh" dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .

"""`manage.py check --deploy` is clean with the production settings: Django's own security
checks (HSTS, secure cookies, SSL redirect, ...) and those of django-axes, at WARNING."""

import os
import subprocess
import sys
from pathlib import Path

from django.utils.crypto import get_random_string

from tests.test_settings import COMPLETE_ENV

ROOT = Path(__file__).resolve().parent.parent


def production_env(tmp_path: Path) -> dict[str, str]:
    """Every variable production.py requires, with dummy but well-formed values. SQLite in a
    temporary folder: `check` needs no database server (nor Redis) to be reachable."""
    return {
        **COMPLETE_ENV,
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "FIRM_TEXTING_VAR_DIR": str(tmp_path),
        "DJANGO_SECRET_KEY": get_random_string(64),
        "DJANGO_ALLOWED_HOSTS": "texting.example-firm.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_would_catch_a_weakened_setting(tmp_path: Path) -> None:
    """The test above can fail: HSTS turned off is reported (security.W004)."""
    result = check_deploy({**production_env(tmp_path), "DJANGO_SECURE_HSTS_SECONDS": "0"})
    assert result.returncode != 0
    assert "security.W004" in result.stdout + result.stderr

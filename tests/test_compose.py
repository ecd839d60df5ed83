"""docker-compose.yml describes the whole production shape (issue 9).

CI also runs `docker-compose config` on it (.ci/run); these tests say what the file must
contain for the stack to start in the right order and be watched by health checks.
"""

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LONG_RUNNING = {"web", "worker", "beat", "postgres", "redis", "minio", "sandbox"}
APP_SERVICES = {"migrate", "web", "worker", "beat", "sandbox"}
# What config/settings/production.py refuses to start without (tests/test_settings.py).
REQUIRED_BY_PRODUCTION = {
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "FIELD_ENCRYPTION_KEYS",
    "PROVIDER_API_URL",
    "PROVIDER_ACCOUNT_ID",
    "PROVIDER_APPLICATION_ID",
    "WEBHOOK_USERNAME",
    "WEBHOOK_PASSWORD",
}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    return compose["services"]


def test_every_part_of_the_production_shape_is_a_service(services: dict[str, Any]) -> None:
    assert LONG_RUNNING | APP_SERVICES | {"minio-bucket"} <= set(services)
    assert services["web"]["command"][:4] == [
        "gunicorn",
        "config.wsgi",
        "-c",
        "python:config.gunicorn",
    ]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "run_provider_sandbox" in services["sandbox"]["command"]


def test_every_long_running_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck")
        assert check and check["test"], f"{name} has no health check"
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_app_services_get_every_variable_production_requires(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        missing = REQUIRED_BY_PRODUCTION - set(environment)
        assert not missing, f"{name} lacks {sorted(missing)}"
        # ...and every optional variable of the env file, through env_file.
        assert services[name]["env_file"] == ["${FIRM_TEXTING_ENV_FILE:-.env.production}"]
        assert {"PROVIDER_CLIENT_ID", "PROVIDER_USERNAME"} <= set(environment)


def test_app_starts_after_migrations_and_healthy_data_services(services: dict[str, Any]) -> None:
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    for data in ("postgres", "redis", "minio"):
        assert services["migrate"]["depends_on"][data] == {"condition": "service_healthy"}
    assert services["minio-bucket"]["depends_on"]["minio"] == {"condition": "service_healthy"}


def test_beat_is_never_scaled_and_the_sandbox_is_opt_in(services: dict[str, Any]) -> None:
    assert "deploy" not in services["beat"]  # one beat: two would send every reminder twice
    assert services["sandbox"]["profiles"] == ["sandbox"]
    command = services["sandbox"]["command"]
    assert command[command.index("--callback-url") + 1] == "http://web:8000"

"""Production settings refuse to start without their secrets, naming what is missing."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent

COMPLETE_ENV = {
    "DJANGO_SECRET_KEY": "x" * 64,
    "DATABASE_URL": "postgres://app@db.internal:5432/firm_texting",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "PROVIDER_API_URL": "https://messaging.example.com",
    "PROVIDER_ACCOUNT_ID": "9900000",
    "PROVIDER_APPLICATION_ID": "app-1",
    "PROVIDER_CLIENT_ID": "client",
    "PROVIDER_CLIENT_SECRET": "client-secret",
    "WEBHOOK_USERNAME": "provider",
    "WEBHOOK_PASSWORD": "webhook-secret",
}


def boot_production(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Import the production settings in a fresh interpreter with only `env` set."""
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_to_start_with_no_secrets_and_names_them() -> None:
    result = boot_production({})
    assert result.returncode != 0
    assert "Production settings cannot start: set DJANGO_SECRET_KEY, DATABASE_URL" in result.stderr
    for name in ("REDIS_URL", "FIELD_ENCRYPTION_KEYS", "PROVIDER_ACCOUNT_ID", "WEBHOOK_PASSWORD"):
        assert name in result.stderr


def test_production_names_just_the_one_missing_secret() -> None:
    env = dict(COMPLETE_ENV)
    del env["WEBHOOK_PASSWORD"]
    result = boot_production(env)
    assert result.returncode != 0
    assert "set WEBHOOK_PASSWORD in the environment" in result.stderr


def test_production_refuses_a_malformed_encryption_key() -> None:
    result = boot_production({**COMPLETE_ENV, "FIELD_ENCRYPTION_KEYS": "not-a-key"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS has 1 value(s) that are not Fernet keys" in result.stderr


def test_production_starts_with_every_secret_set() -> None:
    result = boot_production(COMPLETE_ENV)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_reads_a_secret_from_a_mounted_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "webhook_password"
    secret_file.write_text("from-a-file\n")
    env = dict(COMPLETE_ENV)
    del env["WEBHOOK_PASSWORD"]
    env["WEBHOOK_PASSWORD_FILE"] = str(secret_file)
    assert boot_production(env).returncode == 0


def test_embedded_settings_generate_a_secret_key_only_with_debug(tmp_path: Path) -> None:
    def boot_local(debug: str) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": debug,
            "FIRM_TEXTING_VAR_DIR": str(tmp_path),
        }
        return subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); print('started')"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert boot_local("true").returncode == 0
    assert (tmp_path / "dev-secrets.json").exists()
    refused = boot_local("false")
    assert refused.returncode != 0
    assert "a development key is generated only with DEBUG on" in refused.stderr


def test_a_bucket_switches_file_storage_to_s3() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['default']['BACKEND'], "
        "getattr(settings, 'AWS_DEFAULT_ACL', '-'), "
        "getattr(settings, 'AWS_S3_FILE_OVERWRITE', '-'))"
    )
    clean = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        **COMPLETE_ENV,
    }
    local = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    s3 = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "AWS_STORAGE_BUCKET_NAME": "firm-documents"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert local.stdout.split()[0] == "django.core.files.storage.FileSystemStorage"
    # Private documents: no public ACL, and names never overwrite each other.
    assert s3.stdout.split() == ["storages.backends.s3.S3Storage", "None", "False"]


def test_production_refuses_half_a_web_push_configuration(tmp_path: Path) -> None:
    half = boot_production({**COMPLETE_ENV, "WEBPUSH_VAPID_PUBLIC_KEY": "BPublicKey"})
    assert half.returncode != 0
    assert "Web Push needs all of WEBPUSH_VAPID_PUBLIC_KEY" in half.stderr

    secret = tmp_path / "vapid-private-key"
    secret.write_text("private-key\n")
    full = boot_production(
        {
            **COMPLETE_ENV,
            "WEBPUSH_VAPID_PUBLIC_KEY": "BPublicKey",
            "WEBPUSH_VAPID_PRIVATE_KEY_FILE": str(secret),
            "WEBPUSH_VAPID_SUBJECT": "mailto:it@example-firm.com",
        }
    )
    assert full.returncode == 0, full.stderr

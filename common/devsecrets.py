"""Secrets generated once for the embedded default and kept in var/dev-secrets.json.

Only local.py uses this: production settings take every secret from the environment.
"""

import json
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet

_FILE_NAME = "dev-secrets.json"


def _load(var_dir: Path) -> dict[str, str]:
    path = var_dir / _FILE_NAME
    if path.exists():
        return dict(json.loads(path.read_text()))
    return {}


def _store(var_dir: Path, values: dict[str, str]) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / _FILE_NAME
    path.write_text(json.dumps(values, indent=2))
    path.chmod(0o600)


def _persisted(var_dir: Path, name: str, make: Callable[[], str]) -> str:
    values = _load(var_dir)
    if name not in values:
        values[name] = make()
        _store(var_dir, values)
    return values[name]


def dev_secret(var_dir: Path, name: str) -> str:
    """A random secret named NAME, the same on every start of this checkout."""
    return _persisted(var_dir, name, lambda: secrets.token_urlsafe(48))


def dev_fernet_key(var_dir: Path) -> str:
    """A Fernet key for field encryption, the same on every start of this checkout."""
    return _persisted(var_dir, "FIELD_ENCRYPTION_KEY", lambda: Fernet.generate_key().decode())

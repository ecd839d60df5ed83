"""Validation of FIELD_ENCRYPTION_KEYS values (Fernet keys)."""

from cryptography.fernet import Fernet


def invalid_fernet_keys(keys: list[str]) -> list[int]:
    """Positions (0-based) of the keys that Fernet refuses; never the keys themselves."""
    bad = []
    for position, key in enumerate(keys):
        try:
            Fernet(key.encode())
        except ValueError:
            bad.append(position)
    return bad

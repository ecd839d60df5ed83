"""Field encryption at rest (C1): Fernet tokens under the keys of FIELD_ENCRYPTION_KEYS.

The first key encrypts; every key decrypts, so a new key can be put first while old rows
are still readable, and `rotate_encryption_keys` (issue 4) re-encrypts them. A token that
no key opens raises DecryptionError: we fail closed rather than show ciphertext as text.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@lru_cache(maxsize=4)
def _keyring(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key.")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def keyring() -> MultiFernet:
    """The MultiFernet for the keys configured now (cached per key list)."""
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(plaintext: str) -> str:
    return keyring().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    try:
        return keyring().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        # Never include the token or any part of the value in the message.
        raise DecryptionError("A stored value could not be decrypted with any key.") from error


def rotate_token(token: str) -> str:
    """The same plaintext under the newest key (MultiFernet.rotate)."""
    try:
        return keyring().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise DecryptionError("A stored value could not be decrypted with any key.") from error


def is_current(token: str) -> bool:
    """True when the token is already encrypted under the newest key."""
    keys = settings.FIELD_ENCRYPTION_KEYS
    try:
        Fernet(keys[0].encode()).decrypt(token.encode("ascii"))
    except (InvalidToken, IndexError):
        return False
    return True

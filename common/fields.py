"""Model fields whose values are encrypted at rest with common.crypto (C1).

The database only ever holds Fernet tokens. Encrypted columns cannot be searched, ordered
or compared: the only lookup they allow is `isnull`.
"""

import json
from typing import TYPE_CHECKING, Any

from django.db import models

from .crypto import decrypt_text, encrypt_text


class _EncryptedMixin:
    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise TypeError(f"Encrypted fields cannot be filtered with '{lookup_name}'.")
        return super().get_lookup(lookup_name)  # type: ignore[misc]


class EncryptedTextField(_EncryptedMixin, models.TextField):  # type: ignore[type-arg]
    """Text encrypted at rest; reads give the plaintext back."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else encrypt_text(str(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else decrypt_text(value)


if TYPE_CHECKING:
    _AnyValueField = models.Field[Any, Any]
else:  # Field is generic only in the type stubs
    _AnyValueField = models.Field


class EncryptedJSONField(_EncryptedMixin, _AnyValueField):
    """A JSON document (dict or list) encrypted at rest as one token (a text column)."""

    def get_internal_type(self) -> str:
        return "TextField"

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            return None
        return encrypt_text(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(decrypt_text(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        return value

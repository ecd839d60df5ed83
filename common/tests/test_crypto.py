"""Encryption at rest (C1): ciphertext in the database, keys rotate, wrong keys fail closed."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from common.crypto import DecryptionError, decrypt_text, encrypt_text, rotate_token

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_round_trip_and_no_plaintext_in_the_token(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    token = encrypt_text("Call me about the custody hearing")
    assert "custody" not in token
    assert decrypt_text(token) == "Call me about the custody hearing"


def test_old_key_still_decrypts_after_a_new_key_is_put_first(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    token = encrypt_text("settlement offer")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert decrypt_text(token) == "settlement offer"
    rotated = rotate_token(token)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_text(rotated) == "settlement offer"
    with pytest.raises(DecryptionError):
        decrypt_text(token)


def test_wrong_key_fails_closed_without_revealing_the_value(settings) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    token = encrypt_text("secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(DecryptionError) as raised:
        decrypt_text(token)
    assert token not in str(raised.value) and "secret" not in str(raised.value)


def test_encrypted_model_field_stores_only_ciphertext(firm, firm_scope) -> None:
    from texting.models import ProviderEvent

    with firm_scope():
        event = ProviderEvent.objects.create(
            firm=firm,
            kind="messaging",
            event_type="message-received",
            dedupe_key="k1",
            payload={"text": "Meet me at the courthouse"},
        )
        assert ProviderEvent.objects.get(pk=event.pk).payload == {
            "text": "Meet me at the courthouse"
        }
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM texting_providerevent WHERE id = %s", [event.pk])
        raw = cursor.fetchone()[0]
    assert "courthouse" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token


def test_encrypted_fields_cannot_be_searched(firm, firm_scope) -> None:
    from texting.models import ProviderEvent

    with firm_scope(), pytest.raises(TypeError, match="cannot be filtered"):
        ProviderEvent.objects.filter(payload__contains="court").count()

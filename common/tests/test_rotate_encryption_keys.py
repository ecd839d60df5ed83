"""`rotate_encryption_keys`: everything readable under the new key alone, resumable."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from common.crypto import DecryptionError
from texting.models import ProviderEvent

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _event(firm, n: int) -> ProviderEvent:
    return ProviderEvent.objects.create(
        firm=firm,
        kind="messaging",
        event_type="message-received",
        dedupe_key=f"k{n}",
        payload={"text": f"privileged note {n}"},
    )


def _raw_tokens() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM texting_providerevent ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _rotate(batch_size: int = 2) -> str:
    out = io.StringIO()
    call_command(
        "rotate_encryption_keys", "--batch-size", str(batch_size), stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def test_rotation_makes_every_row_readable_with_the_new_key_alone(settings, firm, unscoped) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    events = [_event(firm, n) for n in range(5)]
    before = _raw_tokens()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert "Re-encrypted 5 value(s)" in _rotate()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    after = _raw_tokens()
    assert all(old != new for old, new in zip(before, after, strict=True))
    assert all("privileged" not in token for token in after)
    for n, event in enumerate(events):
        assert ProviderEvent.objects.get(pk=event.pk).payload == {"text": f"privileged note {n}"}


def test_a_second_run_resumes_with_only_what_is_left(settings, firm, unscoped) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    _event(firm, 1)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    _rotate()
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]  # a row written by a server not yet updated
    _event(firm, 2)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert "Re-encrypted 1 value(s)" in _rotate()
    assert "Re-encrypted 0 value(s)" in _rotate()


def test_a_row_no_key_opens_stops_the_run_and_says_which(settings, firm, unscoped) -> None:
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    event = _event(firm, 1)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    with pytest.raises(DecryptionError, match=f"row {event.pk} cannot be decrypted"):
        _rotate()

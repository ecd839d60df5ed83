"""The OpenAPI schema is generated without warnings and validates against the OpenAPI spec."""

from pathlib import Path

import yaml
from django.core.management import call_command


def test_schema_generates_cleanly_and_validates(tmp_path: Path) -> None:
    target = tmp_path / "schema.yml"
    # --fail-on-warn turns any unresolved serializer, path or auth class into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    for path in (
        "/api/v1/contacts/",
        "/api/v1/contacts/{id}/",
        "/api/v1/matters/",
        "/api/v1/matters/{id}/",
        "/api/v1/users/who_am_i/",
        "/api/v1/text_message_conversations/",
        "/api/v1/text_message_conversations/{id}/messages/",
        "/api/v1/text_message_conversations/{id}/read/",
        "/api/v1/text_messages/",
        "/api/v1/text_messages/{id}/",
        "/api/v1/text_messages/{id}/retry/",
        "/api/v1/calendar_entries/",
        "/api/v1/calendar_entries/{id}/",
        "/api/v1/calendar_entries/{id}/cancel/",
    ):
        assert path in schema["paths"], path

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
        "/api/v1/activities/",
        "/api/v1/activities/{id}/",
        "/api/v1/bills/",
        "/api/v1/bills/{id}/",
        "/api/v1/bills/{id}/issue/",
        "/api/v1/bank_accounts/",
        "/api/v1/bank_accounts/{id}/",
        "/api/v1/payment_links/",
        "/api/v1/payment_links/{id}/",
        "/api/v1/payment_links/{id}/revoke/",
    ):
        assert path in schema["paths"], path


def test_billing_operations_are_named_and_money_is_integer_cents(tmp_path: Path) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    billing = ("activities", "bills", "bank_accounts", "payment_links")
    paths = {
        path: item
        for path, item in schema["paths"].items()
        if path.startswith(tuple(f"/api/v1/{name}/" for name in billing))
    }
    operations = {
        op["operationId"]: op
        for item in paths.values()
        for method, op in item.items()
        if method in ("get", "post", "patch", "delete")
    }
    assert set(operations) == {
        "activity_list",
        "activity_create",
        "activity_retrieve",
        "activity_update",
        "activity_delete",
        "bill_list",
        "bill_create",
        "bill_retrieve",
        "bill_delete",
        "bill_issue",
        "bank_account_list",
        "bank_account_create",
        "bank_account_retrieve",
        "payment_link_list",
        "payment_link_create",
        "payment_link_retrieve",
        "payment_link_revoke",
    }
    for path, item in paths.items():
        for method, op in item.items():
            if method in ("get", "post", "patch", "delete"):
                # Every operation documents the error body of a read-only token or a non-member,
                # and each one that names an id, the 404 of a missing (or another firm's) one.
                assert "403" in op["responses"], op["operationId"]
                assert ("{id}" not in path) or "404" in op["responses"], op["operationId"]
    components = schema["components"]["schemas"]
    for name, fields in {
        "ActivityOutput": ("rate_cents", "total_cents", "quantity"),
        "BillOutput": ("total_cents", "paid_cents", "balance_cents"),
        "BankAccountOutput": ("balance_cents",),
    }.items():
        for field in fields:
            assert components[name]["properties"][field]["type"] == "integer", (name, field)
    link = components["PaymentLinkOutput"]["properties"]
    assert "url" not in link and "token" not in link and "token_hash" not in link
    assert "url" in components["PaymentLinkCreatedOutput"]["properties"]


def test_every_get_documents_fields_and_etags_and_every_list_updated_since(
    tmp_path: Path,
) -> None:
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    gets = {path: item["get"] for path, item in schema["paths"].items() if "get" in item}
    assert len(gets) >= 15
    for path, op in gets.items():
        parameters = {(p["in"], p["name"]) for p in op.get("parameters", [])}
        assert ("query", "fields") in parameters, path
        assert ("header", "If-None-Match") in parameters, path
        json = "application/json" in op["responses"]["200"].get("content", {})
        assert ("304" in op["responses"]) == json, path  # a file download is not tagged
        if "cursor" in {name for _, name in parameters}:  # a paginated list
            assert ("query", "updated_since") in parameters, path
    lists = [path for path, op in gets.items() if "cursor" in str(op.get("parameters"))]
    assert len(lists) == 9, lists
    for item in schema["paths"].values():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "Retry-After" in op["responses"]["429"]["headers"], op["operationId"]

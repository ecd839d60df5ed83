"""Which object fills each URL parameter, for the tests that sweep every route
(test_tenant_isolation.py, test_security_csrf.py): a new parameter is mapped here once."""

ROUTE_PARAM_OBJECTS = {
    "uuid": "contact",
    "related_uuid": "related_contact",
    "contact_id": "contact",
    "matter_id": "matter",
    "folder_id": "folder",
    "document_id": "document",
    "token_id": "token",
    "message_id": "message",
    "media_id": "media",
    "event_id": "event",
    "activity_id": "activity",
    "bill_id": "bill",
    "account_id": "bank_account",
    "link_id": "payment_link",
    "endpoint_id": "webhook_endpoint",
}

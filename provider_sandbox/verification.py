"""Toll-free verification API (PROVIDER_API.md section 5) and its status webhooks.

Lifecycle per number:  (never submitted: UNVERIFIED, no submission)
    submit/resubmit -> PENDING --(verification_delay_seconds)--> VERIFIED
                                                             \\-> UNVERIFIED + denial code
A submission asks for a denial with `SANDBOX_DENY=<code>` in `additionalInformation`
(e.g. "SANDBOX_DENY=546"). Every state change POSTs the webhook: to each of the account's
subscriptions, or to {callback_url}/webhooks/provider/verification when there are none.
The decision time is stored, so a restart still decides (late) and fires the webhook.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from werkzeug.wrappers import Request, Response

from . import callbacks
from .outcomes import is_toll_free
from .responses import json_response, tfv_error
from .runtime import Sandbox, iso

USE_CASES = [
    "2FA", "App Notifications", "Appointments", "Auctions", "Auto Repair Services",
    "Bank Transfers", "Billing", "Booking Confirmations", "Business Updates",
    "COVID-19 Alerts", "Career Training", "Chatbot", "Conversational / Alerts",
    "Courier Services & Deliveries", "Emergency Alerts", "Events & Planning",
    "Financial Services", "Fraud Alerts", "Fundraising", "General Marketing",
    "General School Updates", "HR / Staffing", "Healthcare Alerts", "Housing Community Updates",
    "Insurance Services", "Job Dispatch", "Legal Services", "Mixed", "Motor Vehicle Services",
    "Multi-Factor Authentication",
    "Order Updates", "Political", "Public Service Announcement", "Real Estate Services",
    "Reminders", "Retail", "Security Alerts", "Service Alerts", "Shipping Notifications",
    "Sweepstakes", "Telehealth", "Travel", "Voting Reminders", "Welcome / Subscription",
]  # fmt: skip
ENTITY_TYPES = ("SOLE_PROPRIETOR", "PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT", "GOVERNMENT")
REGISTRATION_TYPES = (
    "EIN", "CBN", "NEQ", "PROVINCIAL_NUMBER", "CRN", "VAT", "ACN", "ABN", "BRN", "SIREN",
    "SIRET", "NZBN", "UST_IDNR", "CIF", "NIF", "CNPJ", "UID", "OTHER",
)  # fmt: skip
REQUIRED = (
    "businessAddress", "businessContact", "messageVolume", "useCase", "useCaseSummary",
    "productionMessageContent", "optInWorkflow", "businessEntityType",
)  # fmt: skip
REGISTRATION_FIELDS = (
    "businessRegistrationNumber", "businessRegistrationType", "businessRegistrationIssuingCountry",
)  # fmt: skip
STATUSES = ("PENDING", "VERIFIED", "UNVERIFIED")
DENY_MARKER = re.compile(r"SANDBOX_DENY=(\d{3})")

DENIAL_REASONS = {
    500: "Denied - No reason given",
    507: "Age Gated Content - Not Eligible for Resubmission",
    508: "Known Spam - Not Eligible for Resubmission",
    511: "Disallowed Content - Gambling - Not Eligible for Resubmission",
    540: "Phishing",
    541: "Fraud or Scam",
    543: "Public URL Shortener",
    544: "Invalid Information - Non-HTTPS URL",
    545: "Invalid Information - Can't Validate Business",
    546: "Invalid Information - Can't Validate URL - Website is not accessible / not available",
    547: "ISV Contact Information Provided Instead of End Business",
    548: "Opt-In - Insufficient Opt-In Information",
    552: "One Number Used for Multiple Businesses",
    620: "More Information Requested",
}
# Codes for content that may never be sent from this business (PROVIDER_API.md denial list).
NO_RESUBMIT = frozenset([*range(501, 507), 507, 508, *range(509, 512), 540, 541, 542])


def denial_reason(code: int) -> str:
    return DENIAL_REASONS.get(code, f"Denied (code {code})")


def normalize_phone(raw: str) -> str:
    """The path's number as E.164 (clients send %2B1844...; some leave the + out)."""
    raw = raw.strip()
    if raw.isdigit():
        return "+" + raw if len(raw) == 11 else "+1" + raw
    return raw


# --- validation -----------------------------------------------------------------------------


def _string(
    errors: dict[str, str],
    data: dict[str, Any],
    path: str,
    key: str,
    required: bool,
    limit: int = 500,
) -> None:
    value = data.get(key)
    if value is None or value == "":
        if required:
            errors[f"{path}{key}"] = "Required field is missing."
        return
    if not isinstance(value, str):
        errors[f"{path}{key}"] = "Must be a string."
    elif len(value) > limit:
        errors[f"{path}{key}"] = f"Must be at most {limit} characters."


def validate_submission(submission: Any) -> dict[str, str]:
    """Problems with a submission (without phoneNumbers), keyed by field path, as the API does."""
    if not isinstance(submission, dict):
        return {"submission": "Must be an object."}
    errors: dict[str, str] = {}
    for key in REQUIRED:
        if submission.get(key) in (None, "", [], {}):
            errors[key] = "Required field is missing."
    address = submission.get("businessAddress")
    if isinstance(address, dict):
        for key in ("name", "addr1", "city", "state", "zip", "url"):
            _string(errors, address, "businessAddress.", key, required=True)
        _string(errors, address, "businessAddress.", "addr2", required=False)
    elif "businessAddress" not in errors:
        errors["businessAddress"] = "Must be an object."
    contact = submission.get("businessContact")
    if isinstance(contact, dict):
        for key in ("firstName", "lastName", "email", "phoneNumber"):
            _string(errors, contact, "businessContact.", key, required=True)
    elif "businessContact" not in errors:
        errors["businessContact"] = "Must be an object."
    volume = submission.get("messageVolume")
    if "messageVolume" not in errors and (
        isinstance(volume, bool) or not isinstance(volume, int) or not 10 <= volume <= 10_000_000
    ):
        errors["messageVolume"] = "Must be a whole number between 10 and 10000000."
    if "useCase" not in errors and submission.get("useCase") not in USE_CASES:
        errors["useCase"] = "Must be one of the use cases of GET /tollFreeVerification/useCases."
    for key in ("useCaseSummary", "productionMessageContent"):
        if key not in errors:
            _string(errors, submission, "", key, required=True)
    workflow = submission.get("optInWorkflow")
    if isinstance(workflow, dict):
        _string(errors, workflow, "optInWorkflow.", "description", required=True)
        urls = workflow.get("imageUrls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
            errors["optInWorkflow.imageUrls"] = "Entries must be a valid array of URLs."
    elif "optInWorkflow" not in errors:
        errors["optInWorkflow"] = "Must be an object."
    entity = submission.get("businessEntityType")
    if "businessEntityType" not in errors and entity not in ENTITY_TYPES:
        errors["businessEntityType"] = f"Must be one of {', '.join(ENTITY_TYPES)}."
    if entity == "SOLE_PROPRIETOR":
        for key in REGISTRATION_FIELDS:
            if submission.get(key) not in (None, ""):
                errors[key] = "Must be omitted for SOLE_PROPRIETOR."
    elif entity in ENTITY_TYPES:
        for key in REGISTRATION_FIELDS:
            _string(errors, submission, "", key, required=True)
        if "businessRegistrationType" not in errors and (
            submission["businessRegistrationType"] not in REGISTRATION_TYPES
        ):
            errors["businessRegistrationType"] = f"Must be one of {', '.join(REGISTRATION_TYPES)}."
        country = submission.get("businessRegistrationIssuingCountry")
        if "businessRegistrationIssuingCountry" not in errors and not (
            isinstance(country, str) and len(country) == 3 and country.isalpha()
        ):
            errors["businessRegistrationIssuingCountry"] = "Must be an ISO 3166 alpha-3 code."
    for key in ("additionalInformation", "isvReseller", "businessDba", "helpMessageResponse"):
        _string(errors, submission, "", key, required=False)
    return errors


# --- state changes --------------------------------------------------------------------------


def _decision(submission: dict[str, Any]) -> tuple[str, int | None]:
    info = submission.get("additionalInformation")
    match = DENY_MARKER.search(info) if isinstance(info, str) else None
    return ("UNVERIFIED", int(match.group(1))) if match else ("VERIFIED", None)


def _start_review(
    sandbox: Sandbox,
    account_id: str,
    phone: str,
    submission: dict[str, Any],
    record: dict[str, Any] | None,
) -> None:
    now = sandbox.now()
    status, code = _decision(submission)
    data: dict[str, Any] = {
        "accountId": account_id,
        "phoneNumber": phone,
        "status": "PENDING",
        "internalTicketNumber": str(uuid.uuid4()),
        "declineReasonDescription": None,
        "denialStatusCode": None,
        "additionalDenialReasons": [],
        "resubmitAllowed": False,
        "createdDateTime": record["createdDateTime"] if record else iso(now),
        "modifiedDateTime": iso(now),
        "submission": submission,
        "_decision": {"status": status, "code": code},
    }
    delay = sandbox.settings.verification_delay_seconds
    sandbox.store.put_verification(phone, data, decide_at=now + delay)
    fire_webhook(sandbox, data)


def set_status(
    sandbox: Sandbox,
    account_id: str,
    phone: str,
    status: str,
    denial_code: int | None = None,
    reason: str | None = None,
    resubmit_allowed: bool | None = None,
) -> dict[str, Any]:
    """Put `phone` in `status` now (cancelling a pending decision) and fire the webhook."""
    now = sandbox.now()
    record = sandbox.store.get_verification(phone) or {
        "accountId": account_id,
        "phoneNumber": phone,
        "internalTicketNumber": str(uuid.uuid4()),
        "additionalDenialReasons": [],
        "createdDateTime": iso(now),
        "submission": None,
    }
    record.pop("_decision", None)
    record["status"] = status
    record["modifiedDateTime"] = iso(now)
    if status == "UNVERIFIED":
        code = denial_code if denial_code is not None else 500
        record["denialStatusCode"] = code
        record["declineReasonDescription"] = reason or denial_reason(code)
        record["resubmitAllowed"] = (
            resubmit_allowed if resubmit_allowed is not None else code not in NO_RESUBMIT
        )
    else:
        record["denialStatusCode"] = None
        record["declineReasonDescription"] = None
        record["resubmitAllowed"] = False
    sandbox.store.put_verification(phone, record, decide_at=None)
    fire_webhook(sandbox, record)
    return record


def decide_due(sandbox: Sandbox, now: float) -> float | None:
    """Dispatcher ticker: finish every review whose delay has passed; return the next due time."""
    for phone, record in sandbox.store.due_verifications(now):
        decision = record.get("_decision") or {"status": "VERIFIED", "code": None}
        set_status(
            sandbox,
            record.get("accountId", sandbox.config.account_id),
            phone,
            decision["status"],
            decision["code"],
        )
    return sandbox.store.next_verification_due_at()


def webhook_payload(record: dict[str, Any]) -> dict[str, Any]:
    """The single-object TFV webhook body for the record's status (section 5 variants)."""
    payload: dict[str, Any] = {
        "accountId": record["accountId"],
        "phoneNumber": record["phoneNumber"],
        "status": record["status"],
    }
    if record["status"] == "UNVERIFIED":
        payload.update(
            denialStatusCode=record.get("denialStatusCode"),
            declineReasonDescription=record.get("declineReasonDescription"),
            resubmitAllowed=record.get("resubmitAllowed", False),
            additionalDenialReasons=record.get("additionalDenialReasons", []),
        )
    payload["internalTicketNumber"] = record["internalTicketNumber"]
    return payload


def fire_webhook(sandbox: Sandbox, record: dict[str, Any]) -> None:
    """Queue the status webhook for each subscription of the account (or the default URL)."""
    payload = webhook_payload(record)
    subscriptions = [
        sub
        for sub in sandbox.store.all_documents("subscriptions")
        if sub["accountId"] == record["accountId"]
    ]
    targets: list[dict[str, Any]] = [{}]  # {}: the app's URL and the webhook credentials
    if subscriptions:
        targets = []
        for sub in subscriptions:
            auth = sub.get("basicAuthentication") or {}
            targets.append(
                {
                    "target_url": sub["callbackUrl"],
                    "username": auth.get("username"),
                    "password": auth.get("password"),
                    "hmac_secret": sub.get("sharedSecretKey"),
                }
            )
    for target in targets:
        callbacks.enqueue(
            sandbox,
            kind="verification",
            event_type=f"verification-{record['status'].lower()}",
            payload=payload,
            due_at=sandbox.now(),
            message_id=record["phoneNumber"],
            recipient=record["phoneNumber"],
            target_url=target.get("target_url"),
            username=target.get("username"),
            password=target.get("password"),
            hmac_secret=target.get("hmac_secret"),
        )


# --- API routes -----------------------------------------------------------------------------


def public_status(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def _json_body(request: Request) -> Any:
    """The parsed JSON body, or None when it is missing or not JSON."""
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        return None


def submit(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """POST /accounts/{accountId}/tollFreeVerification: 202, every number PENDING."""
    body = _json_body(request)
    if not isinstance(body, dict):
        return tfv_error(400, "cannot process request.", {"body": "Must be a JSON object."})
    errors = validate_submission(body)
    phones = body.get("phoneNumbers")
    if not isinstance(phones, list) or not 1 <= len(phones) <= 10:
        errors["phoneNumbers"] = "Must be an array of 1 to 10 toll-free numbers."
        phones = []
    for index, phone in enumerate(phones):
        if not isinstance(phone, str) or not is_toll_free(phone):
            errors[f"phoneNumbers[{index}]"] = f"'{phone}' is not a toll-free number."
        elif not sandbox.store.is_owned(account_id, phone):
            errors[f"phoneNumbers[{index}]"] = f"'{phone}' is not a number of this account."
        else:
            record = sandbox.store.get_verification(phone)
            if record and record.get("submission"):
                errors[f"phoneNumbers[{index}]"] = (
                    f"'{phone}' already has a verification request; resubmit it with PUT."
                )
    if errors:
        return tfv_error(400, "cannot process request.", errors)
    submission = {key: value for key, value in body.items() if key != "phoneNumbers"}
    for phone in phones:
        _start_review(sandbox, account_id, phone, submission, sandbox.store.get_verification(phone))
    return Response(status=202)


def _owned_toll_free(sandbox: Sandbox, account_id: str, phone: str) -> Response | None:
    if not is_toll_free(phone):
        return tfv_error(
            400, "cannot process request.", {"phoneNumber": f"'{phone}' is not a toll-free number."}
        )
    if not sandbox.store.is_owned(account_id, phone):
        return tfv_error(404, f"Phone number '{phone}' was not found on this account.")
    return None


def status(sandbox: Sandbox, account_id: str, raw_phone: str) -> Response:
    """GET .../phoneNumbers/{phoneNumber}/tollFreeVerification."""
    phone = normalize_phone(raw_phone)
    problem = _owned_toll_free(sandbox, account_id, phone)
    if problem:
        return problem
    record = sandbox.store.get_verification(phone)
    if record is None:  # never submitted [infer]: UNVERIFIED with no submission
        return json_response(
            {"phoneNumber": phone, "status": "UNVERIFIED", "resubmitAllowed": False}
        )
    return json_response(public_status(record))


def resubmit(sandbox: Sandbox, request: Request, account_id: str, raw_phone: str) -> Response:
    """PUT .../tollFreeVerification {"submission": {...}}: only when resubmitAllowed."""
    phone = normalize_phone(raw_phone)
    problem = _owned_toll_free(sandbox, account_id, phone)
    if problem:
        return problem
    body = _json_body(request)
    submission = body.get("submission") if isinstance(body, dict) else None
    errors = validate_submission(submission)
    if errors:
        return tfv_error(400, "cannot process request.", errors)
    record = sandbox.store.get_verification(phone)
    if not record or record.get("status") != "UNVERIFIED" or not record.get("resubmitAllowed"):
        errors = {"phoneNumber": "Resubmission is not allowed for this number."}
        return tfv_error(400, "cannot process request.", errors)
    assert isinstance(submission, dict)
    _start_review(sandbox, account_id, phone, submission, record)
    return Response(status=202)


def delete(sandbox: Sandbox, account_id: str, raw_phone: str) -> Response:
    """DELETE .../tollFreeVerification: forget the submission (back to never submitted)."""
    phone = normalize_phone(raw_phone)
    problem = _owned_toll_free(sandbox, account_id, phone)
    if problem:
        return problem
    if not sandbox.store.delete_verification(phone):
        return tfv_error(404, f"No verification request for '{phone}'.")
    return Response(status=204)


def use_cases() -> Response:
    return json_response(USE_CASES)


# --- webhook subscriptions ------------------------------------------------------------------


def _subscription_errors(body: Any) -> dict[str, str]:
    if not isinstance(body, dict):
        return {"body": "Must be a JSON object."}
    errors: dict[str, str] = {}
    url = body.get("callbackUrl")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")) or len(url) > 2000:
        errors["callbackUrl"] = "Must be an http(s) URL."
    auth = body.get("basicAuthentication")
    if auth is not None and not (
        isinstance(auth, dict)
        and isinstance(auth.get("username"), str)
        and isinstance(auth.get("password"), str)
    ):
        errors["basicAuthentication"] = "Must have a username and a password."
    secret = body.get("sharedSecretKey")
    if secret is not None and not (
        isinstance(secret, str)
        and 16 <= len(secret) <= 64
        and secret.isprintable()
        and secret.isascii()
    ):
        errors["sharedSecretKey"] = "Must be 16 to 64 printable ASCII characters."
    return errors


def _subscription_view(sub: dict[str, Any]) -> dict[str, Any]:
    auth = sub.get("basicAuthentication")
    return {
        "id": sub["id"],
        "accountId": sub["accountId"],
        "callbackUrl": sub["callbackUrl"],
        "type": "TOLLFREE_VERIFICATION_STATUS",
        # Like the real API, the password is never given back.
        "basicAuthentication": {"username": auth["username"], "password": None} if auth else None,
        "createdDate": sub["createdDate"],
        "modifiedDate": sub["modifiedDate"],
    }


def list_subscriptions(sandbox: Sandbox, account_id: str) -> Response:
    """GET .../webhooks/subscriptions: the spec's unpaginated `{links, errors, data}` body."""
    subs = [s for s in sandbox.store.all_documents("subscriptions") if s["accountId"] == account_id]
    path = f"/api/v2/accounts/{account_id}/tollFreeVerification/webhooks/subscriptions"
    body = {
        "links": {"first": f"{sandbox.public_url}{path}"},
        "errors": [],
        "data": [_subscription_view(sub) for sub in subs],
    }
    return json_response(body)


def create_subscription(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    body = _json_body(request)
    errors = _subscription_errors(body)
    if errors:
        return tfv_error(400, "cannot process request.", errors)
    now = iso(sandbox.now())
    sub = {
        "id": str(uuid.uuid4()),
        "accountId": account_id,
        "callbackUrl": body["callbackUrl"],
        "basicAuthentication": body.get("basicAuthentication"),
        "sharedSecretKey": body.get("sharedSecretKey"),
        "createdDate": now,
        "modifiedDate": now,
    }
    sandbox.store.put_document("subscriptions", sub["id"], sub)
    return json_response(_subscription_view(sub), 201)


def update_subscription(
    sandbox: Sandbox, request: Request, account_id: str, subscription_id: str
) -> Response:
    sub = sandbox.store.get_document("subscriptions", subscription_id)
    if not sub or sub["accountId"] != account_id:
        return tfv_error(404, "Subscription not found.")
    body = _json_body(request)
    errors = _subscription_errors(body)
    if errors:
        return tfv_error(400, "cannot process request.", errors)
    sub.update(
        callbackUrl=body["callbackUrl"],
        basicAuthentication=body.get("basicAuthentication"),
        sharedSecretKey=body.get("sharedSecretKey"),
        modifiedDate=iso(sandbox.now()),
    )
    sandbox.store.put_document("subscriptions", subscription_id, sub)
    return json_response(_subscription_view(sub))


def delete_subscription(sandbox: Sandbox, account_id: str, subscription_id: str) -> Response:
    sub = sandbox.store.get_document("subscriptions", subscription_id)
    if not sub or sub["accountId"] != account_id:
        return tfv_error(404, "Subscription not found.")
    sandbox.store.delete_document("subscriptions", subscription_id)
    return Response(status=204)

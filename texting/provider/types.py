"""Frozen results of provider calls: raw JSON/XML never travels past texting/provider/.

Each `from_json`/`from_xml` raises MalformedResponse (a ValueError) when the provider's
answer is not the documented shape; the client turns that into the right ProviderError.
Fields follow the provider's names in snake_case; phone numbers are E.164 strings.
"""

from __future__ import annotations

import enum
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .util import is_e164, nanp_to_e164, parse_timestamp


class MalformedResponse(ValueError):
    """The provider answered 2xx with a body we cannot read; the reason names no content."""


# --- tiny typed accessors ------------------------------------------------------------------


def _str(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None:
        if required:
            raise MalformedResponse(f"missing {key}")
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedResponse(f"{key} is not a string")
    return str(value)


def _opt_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    return _str(obj, key)


def _int(obj: Mapping[str, Any], key: str, *, default: int | None = None) -> int | None:
    value = obj.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise MalformedResponse(f"{key} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise MalformedResponse(f"{key} is not an integer")


def _bool(obj: Mapping[str, Any], key: str, default: bool = False) -> bool:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise MalformedResponse(f"{key} is not a boolean")


def _time(obj: Mapping[str, Any], key: str, *, required: bool = False) -> datetime | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise MalformedResponse(f"missing {key}")
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise MalformedResponse(f"{key} is not an ISO-8601 timestamp") from None


def _str_tuple(obj: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if isinstance(value, str):  # a bare string where a list is documented
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedResponse(f"{key} is not a list of strings")
    return tuple(value)


def _obj(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise MalformedResponse(f"{what} is not a JSON object")
    return value


# --- messaging -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentMessage:
    """The 202 answer to a send: queued, not delivered (the outcome comes by callback)."""

    id: str
    owner: str
    application_id: str
    time: datetime
    segment_count: int
    to: tuple[str, ...]
    from_number: str
    tag: str | None
    priority: str | None
    direction: str = "out"
    media: tuple[str, ...] = ()
    expiration: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> SentMessage:
        obj = _obj(data, "message")
        message_id = _str(obj, "id", required=True)
        if not message_id:
            raise MalformedResponse("empty id")
        sent_at = _time(obj, "time", required=True)
        assert sent_at is not None
        return cls(
            id=message_id,
            owner=_str(obj, "owner"),
            application_id=_str(obj, "applicationId"),
            time=sent_at,
            segment_count=_int(obj, "segmentCount", default=1) or 0,
            to=_str_tuple(obj, "to"),
            from_number=_str(obj, "from"),
            tag=_opt_str(obj, "tag"),
            priority=_opt_str(obj, "priority"),
            direction=_str(obj, "direction") or "out",
            media=_str_tuple(obj, "media"),
            expiration=_time(obj, "expiration"),
        )


class MessageStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    DELIVERED = "DELIVERED"
    ACCEPTED = "ACCEPTED"
    UNDELIVERED = "UNDELIVERED"


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """One row of `GET /users/{accountId}/messages` (metadata only: no text)."""

    message_id: str
    account_id: str
    source_tn: str
    destination_tn: str
    message_status: str  # a MessageStatus value; kept a str so new values don't break us
    message_direction: str  # INBOUND | OUTBOUND
    message_type: str  # sms | mms | rcs
    segment_count: int | None
    error_code: int | None
    receive_time: datetime | None
    carrier_name: str | None = None
    message_size: int | None = None
    message_length: int | None = None
    attachment_count: int | None = None
    recipient_count: int | None = None
    campaign_class: str | None = None
    campaign_id: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> MessageRecord:
        obj = _obj(data, "message record")
        return cls(
            message_id=_str(obj, "messageId", required=True),
            account_id=_str(obj, "accountId"),
            source_tn=_str(obj, "sourceTn"),
            destination_tn=_str(obj, "destinationTn"),
            message_status=_str(obj, "messageStatus"),
            message_direction=_str(obj, "messageDirection"),
            message_type=_str(obj, "messageType"),
            segment_count=_int(obj, "segmentCount"),
            error_code=_int(obj, "errorCode"),
            receive_time=_time(obj, "receiveTime"),
            carrier_name=_opt_str(obj, "carrierName"),
            message_size=_int(obj, "messageSize"),
            message_length=_int(obj, "messageLength"),
            attachment_count=_int(obj, "attachmentCount"),
            recipient_count=_int(obj, "recipientCount"),
            campaign_class=_opt_str(obj, "campaignClass"),
            campaign_id=_opt_str(obj, "campaignId"),
        )


@dataclass(frozen=True, slots=True)
class MessagePage:
    total_count: int
    messages: tuple[MessageRecord, ...]
    next_page_token: str | None = None
    prev_page_token: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> MessagePage:
        obj = _obj(data, "message list")
        rows = obj.get("messages")
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise MalformedResponse("messages is not a list")
        page_info = obj.get("pageInfo") or {}
        page_info = _obj(page_info, "pageInfo")
        messages = tuple(MessageRecord.from_json(row) for row in rows)
        return cls(
            total_count=_int(obj, "totalCount", default=len(messages)) or 0,
            messages=messages,
            next_page_token=_opt_str(page_info, "nextPageToken") or None,
            prev_page_token=_opt_str(page_info, "prevPageToken") or None,
        )


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A downloaded media file. `content_type` is what the provider declared (or a guess
    from the file name): decide the real type from the bytes before trusting it (C7)."""

    content: bytes = field(repr=False)
    content_type: str
    filename: str
    media_id: str = ""

    @property
    def size(self) -> int:
        return len(self.content)


# --- toll-free verification ---------------------------------------------------------------


class VerificationState(enum.StrEnum):
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    UNVERIFIED = "UNVERIFIED"


@dataclass(frozen=True, slots=True)
class DenialReason:
    status_code: int | None
    reason: str
    resubmit_allowed: bool


def _denials(obj: Mapping[str, Any]) -> tuple[DenialReason, ...]:
    rows = obj.get("additionalDenialReasons") or []
    if not isinstance(rows, list):
        raise MalformedResponse("additionalDenialReasons is not a list")
    out = []
    for row in rows:
        r = _obj(row, "denial reason")
        out.append(
            DenialReason(
                status_code=_int(r, "statusCode"),
                reason=_str(r, "reason"),
                resubmit_allowed=_bool(r, "resubmitAllowed"),
            )
        )
    return tuple(out)


def _state(obj: Mapping[str, Any], *, required: bool) -> VerificationState | None:
    raw = obj.get("status")
    if raw is None and not required:
        return None
    try:
        return VerificationState(str(raw).upper())
    except ValueError:
        raise MalformedResponse("status is not PENDING/VERIFIED/UNVERIFIED") from None


@dataclass(frozen=True, slots=True)
class VerificationStatus:
    """`tfvStatus`: a denial is UNVERIFIED + denial fields (there is no REJECTED)."""

    phone_number: str
    status: VerificationState
    internal_ticket_number: str | None = None
    denial_status_code: int | None = None
    decline_reason: str | None = None
    resubmit_allowed: bool = False
    created: datetime | None = None
    modified: datetime | None = None
    additional_denial_reasons: tuple[DenialReason, ...] = ()
    blocked: bool = False
    blocked_reason: str | None = None
    submitted: bool = False  # the provider returned a submission for this number

    @property
    def verified(self) -> bool:
        return self.status is VerificationState.VERIFIED

    @property
    def denied(self) -> bool:
        return self.status is VerificationState.UNVERIFIED and self.denial_status_code is not None

    @classmethod
    def from_json(cls, data: Any) -> VerificationStatus:
        obj = _obj(data, "verification status")
        state = _state(obj, required=True)
        assert state is not None
        submission = obj.get("submission")
        return cls(
            phone_number=_str(obj, "phoneNumber", required=True),
            status=state,
            internal_ticket_number=_opt_str(obj, "internalTicketNumber"),
            denial_status_code=_int(obj, "denialStatusCode"),
            decline_reason=_opt_str(obj, "declineReasonDescription"),
            resubmit_allowed=_bool(obj, "resubmitAllowed"),
            created=_time(obj, "createdDateTime"),
            modified=_time(obj, "modifiedDateTime"),
            additional_denial_reasons=_denials(obj),
            blocked=_bool(obj, "blocked"),
            blocked_reason=_opt_str(obj, "blockedReason"),
            submitted=isinstance(submission, dict) and bool(submission),
        )


@dataclass(frozen=True, slots=True)
class BusinessAddress:
    name: str
    addr1: str
    city: str
    state: str
    zip: str
    url: str
    addr2: str | None = None


@dataclass(frozen=True, slots=True)
class BusinessContact:
    first_name: str
    last_name: str
    email: str
    phone_number: str


@dataclass(frozen=True, slots=True)
class OptInWorkflow:
    description: str
    image_urls: tuple[str, ...]
    confirmation_response: str | None = None


@dataclass(frozen=True, slots=True)
class VerificationRequest:
    """`verificationRequest` (PROVIDER_API.md §5). `to_json()` drops None fields; with
    `include_phone_numbers=False` it is the `submission` of a resubmission."""

    phone_numbers: tuple[str, ...]
    business_address: BusinessAddress
    business_contact: BusinessContact
    message_volume: int
    use_case: str
    use_case_summary: str
    production_message_content: str
    opt_in_workflow: OptInWorkflow
    business_entity_type: str  # SOLE_PROPRIETOR | PRIVATE_PROFIT | PUBLIC_PROFIT | ...
    business_registration_number: str | None = None
    business_registration_type: str | None = None  # EIN, ...
    business_registration_issuing_country: str | None = None  # ISO alpha-3, e.g. USA
    additional_information: str | None = None
    isv_reseller: str | None = None
    privacy_policy_url: str | None = None
    terms_and_conditions_url: str | None = None
    business_dba: str | None = None
    help_message_response: str | None = None
    age_gated_content: bool | None = None

    def to_json(self, *, include_phone_numbers: bool = True) -> dict[str, Any]:
        a, c, o = self.business_address, self.business_contact, self.opt_in_workflow
        body: dict[str, Any] = {
            "businessAddress": _drop_none(
                {
                    "name": a.name,
                    "addr1": a.addr1,
                    "addr2": a.addr2,
                    "city": a.city,
                    "state": a.state,
                    "zip": a.zip,
                    "url": a.url,
                }
            ),
            "businessContact": {
                "firstName": c.first_name,
                "lastName": c.last_name,
                "email": c.email,
                "phoneNumber": c.phone_number,
            },
            "messageVolume": self.message_volume,
            "useCase": self.use_case,
            "useCaseSummary": self.use_case_summary,
            "productionMessageContent": self.production_message_content,
            "optInWorkflow": _drop_none(
                {
                    "description": o.description,
                    "imageUrls": list(o.image_urls),
                    "confirmationResponse": o.confirmation_response,
                }
            ),
            "businessEntityType": self.business_entity_type,
            "businessRegistrationNumber": self.business_registration_number,
            "businessRegistrationType": self.business_registration_type,
            "businessRegistrationIssuingCountry": self.business_registration_issuing_country,
            "additionalInformation": self.additional_information,
            "isvReseller": self.isv_reseller,
            "privacyPolicyUrl": self.privacy_policy_url,
            "termsAndConditionsUrl": self.terms_and_conditions_url,
            "businessDba": self.business_dba,
            "helpMessageResponse": self.help_message_response,
            "ageGatedContent": self.age_gated_content,
        }
        if include_phone_numbers:
            body = {"phoneNumbers": list(self.phone_numbers), **body}
        return _drop_none(body)


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    id: str
    account_id: str
    callback_url: str
    type: str
    username: str | None = None
    created: datetime | None = None
    modified: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> WebhookSubscription:
        obj = _obj(data, "webhook subscription")
        basic = obj.get("basicAuthentication") or {}
        basic = _obj(basic, "basicAuthentication")
        return cls(
            id=_str(obj, "id", required=True),
            account_id=_str(obj, "accountId"),
            callback_url=_str(obj, "callbackUrl"),
            type=_str(obj, "type"),
            username=_opt_str(basic, "username"),
            created=_time(obj, "createdDate"),
            modified=_time(obj, "modifiedDate"),
        )

    @classmethod
    def list_from_json(cls, data: Any) -> list[WebhookSubscription]:
        """The spec's `{links, errors, data: [...]}`; a bare list is accepted too."""
        rows = data.get("data") if isinstance(data, dict) else data
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise MalformedResponse("subscriptions are not a list")
        return [cls.from_json(row) for row in rows]


# --- numbers (XML) -------------------------------------------------------------------------


def parse_xml(raw: bytes) -> ET.Element:
    """Parse the numbers API's XML; DTDs/entities are refused (no entity expansion)."""
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise MalformedResponse("XML with a DTD")
    try:
        return ET.fromstring(raw)  # noqa: S314 — DTDs refused above
    except ET.ParseError:
        raise MalformedResponse("invalid XML") from None


def _e164_numbers(elements: Sequence[ET.Element]) -> tuple[str, ...]:
    out = []
    for el in elements:
        text = (el.text or "").strip()
        if not text:
            continue
        try:
            out.append(text if is_e164(text) else nanp_to_e164(text))
        except ValueError:
            raise MalformedResponse("telephone number is not 10 digits") from None
    return tuple(out)


@dataclass(frozen=True, slots=True)
class AvailableNumbers:
    numbers: tuple[str, ...]  # E.164; not reserved until ordered
    result_count: int

    @classmethod
    def from_xml(cls, raw: bytes) -> AvailableNumbers:
        root = parse_xml(raw)
        if root.tag != "SearchResult":
            raise MalformedResponse("root is not SearchResult")
        numbers = _e164_numbers(root.findall("./TelephoneNumberList/TelephoneNumber"))
        count_text = (root.findtext("ResultCount") or "").strip()
        return cls(numbers=numbers, result_count=int(count_text) if count_text.isdigit() else 0)


class OrderStatus(enum.StrEnum):
    RECEIVED = "RECEIVED"
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    BACKORDERED = "BACKORDERED"


@dataclass(frozen=True, slots=True)
class NumberOrder:
    id: str
    status: str  # an OrderStatus value, kept a str so new values don't break us
    completed_numbers: tuple[str, ...] = ()  # E.164
    failed_numbers: tuple[str, ...] = ()  # E.164
    name: str | None = None
    error_codes: tuple[str, ...] = ()

    @property
    def done(self) -> bool:
        return self.status in (OrderStatus.COMPLETE, OrderStatus.PARTIAL, OrderStatus.FAILED)

    @classmethod
    def from_xml(cls, raw: bytes, *, fallback_id: str = "") -> NumberOrder:
        root = parse_xml(raw)
        if root.tag != "OrderResponse":
            raise MalformedResponse("root is not OrderResponse")
        order_id = ""
        for path in ("./Order/id", "./Order/OrderId", "./id", "./OrderId", "./orderRequest/id"):
            order_id = (root.findtext(path) or "").strip()
            if order_id:
                break
        order_id = order_id or fallback_id
        if not order_id:
            raise MalformedResponse("order without id")
        status = (root.findtext("OrderStatus") or "").strip().upper()
        if not status:
            raise MalformedResponse("order without OrderStatus")
        completed = _e164_numbers(root.findall("./CompletedNumbers/TelephoneNumber/FullNumber"))
        failed = _e164_numbers(
            root.findall("./FailedNumbers/FullNumber")
            + root.findall("./ErrorList/Error/TelephoneNumber")
        )
        errors = tuple(
            (e.findtext("Code") or "").strip() for e in root.findall(".//ErrorList/Error")
        )
        return cls(
            id=order_id,
            status=status,
            completed_numbers=completed,
            failed_numbers=failed,
            name=(root.findtext("./Order/Name") or "").strip() or None,
            error_codes=errors,
        )

"""Setting texting up for a firm and changing its settings (S1–S4), admins only (T2).

`texting_setup_submit` orders the firm's one toll-free number from the provider, assigns it
and files the toll-free verification request. Network calls never run inside a transaction:
each step commits what it learnt before the next call, so a retry after any failure picks up
where the last attempt stopped instead of ordering a second number:

    no number ──search+order──► order id stored ──COMPLETE──► number assigned
                                                                   │ tfv_submit
                                                                   ▼
                            not_submitted | rejected ──────────► pending ──► verified | rejected

A claim on the firm's TextingSettings row (`setup_claimed_at`) lets one request at a time do
this, so two admins clicking Submit at once cannot order two numbers.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record, toll_free_number_target
from accounts.models import AuditEvent, Firm, Membership, User
from accounts.services import TollFreeNumberTaken, firm_toll_free_number_assign
from common.phones import phone_display, phone_to_e164
from common.unset import UNSET, Unset

from ..exceptions import (
    InvalidSettings,
    NotFirmAdmin,
    SetupFailed,
    SetupInProgress,
)
from ..models import TextingSettings, VerificationSubmission
from ..provider import (
    BusinessAddress,
    BusinessContact,
    NumberOrder,
    OptInWorkflow,
    OrderStatus,
    OutcomeUnknown,
    ProviderClient,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    VerificationRequest,
    VerificationState,
    mask_number,
)
from ..selectors import texting_settings_get
from .availability import texting_available_require

logger = logging.getLogger(__name__)

# A claim this old belongs to a request that died; another request may take it over.
CLAIM_STALE_AFTER = timedelta(minutes=5)
SEARCH_PATTERN = "8**"
# A few candidates, so numbers another firm of ours already has can be skipped.
SEARCH_QUANTITY = 10
ORDER_ATTEMPTS = 3
ORDER_WAIT_SECONDS = 10.0
ORDER_POLL_SECONDS = 0.2
REMINDER_DAYS_MIN, REMINDER_DAYS_MAX = 1, 30
MESSAGE_VOLUME_MIN, MESSAGE_VOLUME_MAX = 10, 10_000_000
EIN_RE = re.compile(r"^\d{2}-\d{7}$")

# The provider's field paths (PROVIDER_API.md §5) → our form's fields, for its refusals.
_PROVIDER_FIELDS = {
    "businessAddress.name": "legal_name",
    "businessAddress.addr1": "address_line1",
    "businessAddress.addr2": "address_line2",
    "businessAddress.city": "city",
    "businessAddress.state": "state",
    "businessAddress.zip": "postal_code",
    "businessAddress.url": "website",
    "businessContact.firstName": "contact_first_name",
    "businessContact.lastName": "contact_last_name",
    "businessContact.email": "contact_email",
    "businessContact.phoneNumber": "contact_phone_e164",
    "messageVolume": "monthly_volume",
    "useCase": "use_case",
    "useCaseSummary": "use_case_summary",
    "productionMessageContent": "sample_message",
    "optInWorkflow.description": "opt_in_description",
    "optInWorkflow.imageUrls": "opt_in_image_url",
    "businessEntityType": "entity_type",
    "businessRegistrationNumber": "ein",
    "businessDba": "dba",
}


@dataclass(frozen=True)
class SetupDetails:
    """What the admin entered in "Get started with text messaging" (S1), already cleaned:
    phone numbers in E.164, the EIN as NN-NNNNNNN (empty for a sole proprietor)."""

    legal_name: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    website: str
    entity_type: str
    contact_first_name: str
    contact_last_name: str
    contact_email: str
    contact_phone_e164: str
    use_case: str
    use_case_summary: str
    monthly_volume: int
    sample_message: str
    opt_in_description: str
    opt_in_image_url: str
    dba: str = ""
    address_line2: str = ""
    ein: str = ""
    alternative_phone_e164: str = ""
    alternative_email: str = ""


# --- guards -----------------------------------------------------------------------------------


def _require_admin(*, firm: Firm, actor: User) -> None:
    admins = Membership.objects.for_firm(firm).filter(role=Membership.Role.ADMIN)
    if not admins.filter(user=actor).exists():
        raise NotFirmAdmin()


def _alternative_contact_check(*, phone_e164: str, email: str) -> None:
    """InvalidSettings unless at least one is given, the phone is +1 E.164 and the email
    is an address (the forms refuse the same input first, with the same sentences)."""
    errors: dict[str, list[str]] = {}
    if not phone_e164 and not email:
        errors["alternative_phone_e164"] = ["Give a phone number or an email clients can use."]
    if phone_e164:
        try:
            if phone_to_e164(phone_e164, texting=True) != phone_e164:
                raise ValidationError("not E.164")
        except ValidationError:
            errors["alternative_phone_e164"] = [
                "Enter a US or Canadian (+1) phone number in E.164, such as +12025550143."
            ]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["alternative_email"] = ["Enter a valid email address."]
    if errors:
        raise _invalid(errors)


def _invalid(errors: dict[str, list[str]]) -> InvalidSettings:
    return InvalidSettings(
        "Some of the details are not valid: " + " ".join(m for ms in errors.values() for m in ms),
        fields=errors,
    )


def _details_check(details: SetupDetails) -> None:
    _alternative_contact_check(
        phone_e164=details.alternative_phone_e164, email=details.alternative_email
    )
    errors: dict[str, list[str]] = {}
    sole = details.entity_type == VerificationSubmission.EntityType.SOLE_PROPRIETOR
    if not sole and not EIN_RE.fullmatch(details.ein):
        errors["ein"] = ["Enter the firm's EIN as 12-3456789."]
    if details.entity_type not in VerificationSubmission.EntityType.values:
        errors["entity_type"] = ["Choose the kind of business the firm is."]
    if not MESSAGE_VOLUME_MIN <= details.monthly_volume <= MESSAGE_VOLUME_MAX:
        errors["monthly_volume"] = ["Enter a monthly volume between 10 and 10,000,000 texts."]
    try:
        if phone_to_e164(details.contact_phone_e164, texting=True) != details.contact_phone_e164:
            raise ValidationError("not E.164")
    except ValidationError:
        errors["contact_phone_e164"] = ["Enter a US or Canadian (+1) phone number."]
    if errors:
        raise _invalid(errors)


# --- setup (S1, S2) ---------------------------------------------------------------------------


def texting_setup_submit(*, firm: Firm, actor: User, details: SetupDetails) -> TextingSettings:
    """Set texting up for `firm`: order and assign a toll-free number if it has none, then
    file the toll-free verification request; the status becomes pending.

    Idempotent: a firm with a number never orders another; a firm whose verification is
    pending or verified is returned as it is, with no provider call. Safe on retry: an
    order placed by an earlier attempt is resumed, not repeated, and a verification request
    the provider already holds is adopted. Not transactional as a whole (it calls the
    provider between its commits); must not be called inside a transaction.

    Raises NotFirmAdmin, TextingUnavailable, InvalidSettings (nothing changed),
    SetupInProgress (another request is doing it), SetupFailed (the provider could not
    do it; nothing changed, except that a number ordered before the failure stays the firm's).
    """
    _require_admin(firm=firm, actor=actor)
    texting_available_require(firm=firm)
    _details_check(details)
    row, _ = TextingSettings.objects.get_or_create(firm=firm)
    firm.refresh_from_db(fields=["toll_free_number_e164"])
    if _already_submitted(firm=firm, row=row):
        return row
    claimed_at = _claim(firm=firm)
    try:
        row.refresh_from_db()
        firm.refresh_from_db(fields=["toll_free_number_e164"])
        if _already_submitted(firm=firm, row=row):
            return row
        client = _client()
        with client:
            number = firm.toll_free_number_e164 or _number_obtain(
                firm=firm, actor=actor, client=client, order_id=row.number_order_id
            )
            resubmit = row.verification_status == TextingSettings.VerificationStatus.REJECTED
            adopted = _verification_file(
                client=client, number=number, details=details, resubmit=resubmit
            )
        return _submission_record(
            firm=firm,
            actor=actor,
            number=number,
            details=details,
            adopted=adopted,
            resubmit=resubmit,
        )
    finally:
        _release(firm=firm, claimed_at=claimed_at)


def _already_submitted(*, firm: Firm, row: TextingSettings) -> bool:
    return firm.toll_free_number_e164 is not None and row.verification_status in (
        TextingSettings.VerificationStatus.PENDING,
        TextingSettings.VerificationStatus.VERIFIED,
    )


def _claim(*, firm: Firm) -> datetime:
    now = timezone.now()
    claimed = (
        TextingSettings.objects.for_firm(firm)
        .filter(Q(setup_claimed_at__isnull=True) | Q(setup_claimed_at__lt=now - CLAIM_STALE_AFTER))
        .update(setup_claimed_at=now, updated_at=now)
    )
    if not claimed:
        raise SetupInProgress()
    return now


def _release(*, firm: Firm, claimed_at: datetime) -> None:
    TextingSettings.objects.for_firm(firm).filter(setup_claimed_at=claimed_at).update(
        setup_claimed_at=None, updated_at=timezone.now()
    )


def _client() -> ProviderClient:
    try:
        return ProviderClient.from_settings()
    except ImproperlyConfigured:
        logger.exception("texting setup: provider settings are incomplete")
        raise SetupFailed(
            "Text messaging cannot be set up right now: the connection to the texting "
            "provider is not configured. Nothing was changed; contact support."
        ) from None


def _number_obtain(*, firm: Firm, actor: User, client: ProviderClient, order_id: str) -> str:
    """Order one toll-free number (or finish the order an earlier attempt placed) and
    assign it to the firm. Each step commits, so a retry resumes rather than re-orders."""
    site_id = str(django_settings.PROVIDER_SITE_ID)
    peer_id = str(django_settings.PROVIDER_PEER_ID)
    if not site_id or not peer_id:
        raise SetupFailed(
            "Text messaging cannot be set up right now: the texting provider's account is "
            "not fully configured (site and location). Nothing was changed; contact support."
        )
    try:
        order: NumberOrder | None = client.order_status(order_id) if order_id else None
        for _ in range(ORDER_ATTEMPTS):
            if order is None:
                candidates = _unassigned(client.search_toll_free(SEARCH_PATTERN, SEARCH_QUANTITY))
                if not candidates:
                    raise SetupFailed(
                        "The texting provider has no toll-free number available right now. "
                        "Nothing was changed; try again later."
                    )
                order = client.order_numbers(
                    [candidates[0]], site_id=site_id, peer_id=peer_id, name=f"firm-{firm.uuid}"
                )
                _order_remember(firm=firm, order_id=order.id)
            order = _order_wait(client=client, order=order)
            if order.status in (OrderStatus.COMPLETE, OrderStatus.PARTIAL) and (
                order.completed_numbers
            ):
                number = order.completed_numbers[0]
                _number_assign(firm=firm, actor=actor, number=number)
                logger.info(
                    "texting setup: toll-free number assigned",
                    extra={"firm_id": firm.id, "number": mask_number(number)},
                )
                return number
            # FAILED: the number was taken between the search and the order; search again.
            _order_remember(firm=firm, order_id="")
            order = None
    except ProviderUnavailable:
        raise SetupFailed(
            "The texting provider could not be reached to order your toll-free number. "
            "Nothing was changed; try again in a few minutes."
        ) from None
    except OutcomeUnknown:
        raise SetupFailed(
            "The texting provider did not answer in time while ordering your toll-free "
            "number. Submit again in a minute: the order will be picked up, not repeated."
        ) from None
    except ProviderError as error:
        logger.warning("texting setup: number order refused: %s", error)
        raise SetupFailed(
            f"The texting provider refused to order a toll-free number ({error.message}). "
            "Nothing was changed; contact support if this keeps happening."
        ) from None
    raise SetupFailed(
        "The texting provider could not complete an order for a toll-free number. "
        "Nothing was changed; try again later."
    )


def _unassigned(numbers: list[str]) -> list[str]:
    # Firm is not firm-owned (it is the tenant): this reads across firms by design, to skip
    # numbers another firm already texts from.
    taken = set(
        Firm.objects.filter(toll_free_number_e164__in=numbers).values_list(
            "toll_free_number_e164", flat=True
        )
    )
    return [number for number in numbers if number not in taken]


def _order_wait(*, client: ProviderClient, order: NumberOrder) -> NumberOrder:
    """Poll the order until the provider has finished it (Bandwidth answers RECEIVED first)."""
    deadline = time.monotonic() + ORDER_WAIT_SECONDS
    while not order.done:
        if time.monotonic() >= deadline:
            raise SetupFailed(
                "The texting provider is still processing the order for your toll-free "
                "number. Submit again in a minute: the order will be picked up, not repeated."
            )
        time.sleep(ORDER_POLL_SECONDS)
        order = client.order_status(order.id)
    return order


def _order_remember(*, firm: Firm, order_id: str) -> None:
    TextingSettings.objects.for_firm(firm).update(
        number_order_id=order_id, updated_at=timezone.now()
    )


@transaction.atomic
def _number_assign(*, firm: Firm, actor: User, number: str) -> None:
    try:
        firm_toll_free_number_assign(firm=firm, number_e164=number)
    except TollFreeNumberTaken:
        raise SetupFailed(
            "The toll-free number the provider gave is already in use. Nothing was changed; "
            "contact support."
        ) from None
    TextingSettings.objects.for_firm(firm).update(number_order_id="", updated_at=timezone.now())
    audit_record(
        firm=firm,
        actor=actor,
        action=AuditEvent.Action.TEXTING_NUMBER_ASSIGNED,
        target=toll_free_number_target(number),
    )


def _verification_request(*, number: str, details: SetupDetails) -> VerificationRequest:
    sole = details.entity_type == VerificationSubmission.EntityType.SOLE_PROPRIETOR
    reach = []
    if details.alternative_phone_e164:
        reach.append(f"call {phone_display(details.alternative_phone_e164)}")
    if details.alternative_email:
        reach.append(f"email {details.alternative_email}")
    return VerificationRequest(
        phone_numbers=(number,),
        business_address=BusinessAddress(
            name=details.legal_name,
            addr1=details.address_line1,
            addr2=details.address_line2 or None,
            city=details.city,
            state=details.state,
            zip=details.postal_code,
            url=details.website,
        ),
        business_contact=BusinessContact(
            first_name=details.contact_first_name,
            last_name=details.contact_last_name,
            email=details.contact_email,
            phone_number=details.contact_phone_e164,
        ),
        message_volume=details.monthly_volume,
        use_case=details.use_case,
        use_case_summary=details.use_case_summary,
        production_message_content=details.sample_message,
        opt_in_workflow=OptInWorkflow(
            description=details.opt_in_description, image_urls=(details.opt_in_image_url,)
        ),
        business_entity_type=details.entity_type,
        business_registration_number=None if sole else details.ein,
        business_registration_type=None if sole else "EIN",
        business_registration_issuing_country=None if sole else "USA",
        business_dba=details.dba or None,
        help_message_response=(
            f"{details.legal_name}: for help {' or '.join(reach) or 'contact the firm'}. "
            "Reply STOP to opt out."
        )[:500],
    )


def _verification_file(
    *, client: ProviderClient, number: str, details: SetupDetails, resubmit: bool
) -> VerificationState | None:
    """File (or, after a rejection, re-file) the verification request for `number`.

    Returns None when the provider took it, or the state of a request the provider already
    held (an earlier attempt whose answer was lost), which is then adopted.
    """
    request = _verification_request(number=number, details=details)
    shown = phone_display(number)
    try:
        if resubmit:
            client.tfv_resubmit(number, request)
        else:
            client.tfv_submit(request)
        return None
    except (ProviderUnavailable, OutcomeUnknown):
        raise SetupFailed(
            f"Your toll-free number {shown} is ready, but the texting provider could not be "
            "reached to file the verification request. Submit again in a few minutes."
        ) from None
    except ProviderRejected as error:
        held = None if resubmit else _held_request(client=client, number=number)
        if held is not None:
            return held
        fields: dict[str, list[str]] = {}
        for field_error in error.field_errors:
            name = _PROVIDER_FIELDS.get(field_error.field, "__all__")
            fields.setdefault(name, []).append(field_error.description)
        logger.warning("texting setup: verification refused: %s", error)
        described = "; ".join(fe.description for fe in error.field_errors) or error.message
        raise SetupFailed(
            f"The texting provider refused the verification request for {shown}: {described} "
            "Correct the details and submit again.",
            fields=fields,
        ) from None
    except ProviderError as error:
        logger.warning("texting setup: verification failed: %s", error)
        raise SetupFailed(
            f"The texting provider could not take the verification request for {shown}. "
            "Submit again later; contact support if this keeps happening."
        ) from None


def _held_request(*, client: ProviderClient, number: str) -> VerificationState | None:
    try:
        status = client.tfv_status(number)
    except ProviderError:
        return None
    if status.submitted and status.status in (
        VerificationState.PENDING,
        VerificationState.VERIFIED,
    ):
        return status.status
    return None


@transaction.atomic
def _submission_record(
    *,
    firm: Firm,
    actor: User,
    number: str,
    details: SetupDetails,
    adopted: VerificationState | None,
    resubmit: bool,
) -> TextingSettings:
    now = timezone.now()
    VerificationSubmission.objects.create(
        firm=firm,
        submitted_by=actor,
        phone_number_e164=number,
        legal_name=details.legal_name,
        dba=details.dba,
        address_line1=details.address_line1,
        address_line2=details.address_line2,
        city=details.city,
        state=details.state,
        postal_code=details.postal_code,
        website=details.website,
        entity_type=details.entity_type,
        ein=details.ein,
        contact_first_name=details.contact_first_name,
        contact_last_name=details.contact_last_name,
        contact_email=details.contact_email,
        contact_phone_e164=details.contact_phone_e164,
        use_case=details.use_case,
        use_case_summary=details.use_case_summary,
        monthly_volume=details.monthly_volume,
        sample_message=details.sample_message,
        opt_in_description=details.opt_in_description,
        opt_in_image_url=details.opt_in_image_url,
    )
    status = (
        TextingSettings.VerificationStatus.VERIFIED
        if adopted is VerificationState.VERIFIED
        else TextingSettings.VerificationStatus.PENDING
    )
    rows = TextingSettings.objects.for_firm(firm)
    # Only forward from "not submitted" or "rejected": the provider's webhook for this very
    # request may have landed first and must not be overwritten.
    rows.filter(
        verification_status__in=[
            TextingSettings.VerificationStatus.NOT_SUBMITTED,
            TextingSettings.VerificationStatus.REJECTED,
        ]
    ).update(
        verification_status=status,
        verification_denial_code=None,
        verification_decline_reason="",
        verification_updated_at=now,
        updated_at=now,
    )
    rows.update(
        verification_submitted_at=now,
        alternative_phone_e164=details.alternative_phone_e164,
        alternative_email=details.alternative_email,
        updated_at=now,
    )
    audit_record(
        firm=firm,
        actor=actor,
        action=AuditEvent.Action.TEXTING_VERIFICATION_RESUBMITTED
        if resubmit
        else AuditEvent.Action.TEXTING_VERIFICATION_SUBMITTED,
        target=toll_free_number_target(number),
        # "adopted": the provider already held this request from an earlier attempt.
        details={"adopted": adopted is not None},
    )
    logger.info("texting setup: verification filed", extra={"firm_id": firm.id})
    return rows.select_related("firm").get()


# --- settings (S4) ----------------------------------------------------------------------------


@transaction.atomic
def texting_details_update(
    *, firm: Firm, actor: User, alternative_phone_e164: str, alternative_email: str
) -> TextingSettings:
    """Set the alternative phone and email clients may use (S1, S4): printed in calendar
    notifications, the HELP reply and the voice message. At least one is required; the
    phone must be a +1 number in E.164. Audited when a value changed. Raises NotFirmAdmin,
    TextingUnavailable or InvalidSettings, changing nothing."""
    row, changed = _details_set(
        firm=firm,
        actor=actor,
        alternative_phone_e164=alternative_phone_e164,
        alternative_email=alternative_email,
    )
    _settings_change_record(firm=firm, actor=actor, changed=changed)
    return row


def _details_set(
    *, firm: Firm, actor: User, alternative_phone_e164: str, alternative_email: str
) -> tuple[TextingSettings, list[str]]:
    """texting_details_update without the audit: the row and the names of what changed."""
    _require_admin(firm=firm, actor=actor)
    texting_available_require(firm=firm)
    _alternative_contact_check(phone_e164=alternative_phone_e164, email=alternative_email)
    row, _ = TextingSettings.objects.select_for_update().get_or_create(firm=firm)
    changed = [
        name
        for name, old, new in (
            ("alternative_phone", row.alternative_phone_e164, alternative_phone_e164),
            ("alternative_email", row.alternative_email, alternative_email),
        )
        if old != new
    ]
    row.alternative_phone_e164 = alternative_phone_e164
    row.alternative_email = alternative_email
    row.save(update_fields=["alternative_phone_e164", "alternative_email", "updated_at"])
    return row, changed


@transaction.atomic
def event_reminders_update(*, firm: Firm, actor: User, days: int | None) -> TextingSettings:
    """Send an automatic reminder `days` (1–30) days before each event, or none (None)
    (S4, E3). Audited when it changed. Raises NotFirmAdmin, TextingUnavailable or
    InvalidSettings, changing nothing."""
    row, changed = _reminders_set(firm=firm, actor=actor, days=days)
    _settings_change_record(firm=firm, actor=actor, changed=changed)
    return row


def _reminders_set(
    *, firm: Firm, actor: User, days: int | None
) -> tuple[TextingSettings, list[str]]:
    """event_reminders_update without the audit: the row and the names of what changed."""
    _require_admin(firm=firm, actor=actor)
    texting_available_require(firm=firm)
    if days is not None and not REMINDER_DAYS_MIN <= days <= REMINDER_DAYS_MAX:
        raise _invalid(
            {"days": ["Choose Off or a number of days between 1 and 30 before the event."]}
        )
    row, _ = TextingSettings.objects.select_for_update().get_or_create(firm=firm)
    changed = ["event_reminder_days"] if row.event_reminder_days != days else []
    row.event_reminder_days = days
    row.save(update_fields=["event_reminder_days", "updated_at"])
    return row, changed


def _settings_change_record(*, firm: Firm, actor: User, changed: list[str]) -> None:
    """One "Texting settings changed" event naming the settings, never their values (the
    alternative phone and email are personal); nothing when nothing changed."""
    if changed:
        audit_record(
            firm=firm,
            actor=actor,
            action=AuditEvent.Action.TEXTING_SETTINGS_CHANGED,
            target=", ".join(name.replace("_", " ") for name in changed),
            details={"changed": changed},
        )


@transaction.atomic
def texting_settings_update(
    *,
    firm: Firm,
    actor: User,
    alternative_phone_e164: str | Unset = UNSET,
    alternative_email: str | Unset = UNSET,
    event_reminder_days: int | Unset | None = UNSET,
) -> TextingSettings:
    """Change the given settings together (the API's PATCH): the alternative contact (the
    other half kept) and the event reminders. All or nothing, and one audit event naming
    every setting that changed; raises what texting_details_update and
    event_reminders_update raise."""
    row = texting_settings_get(firm=firm)
    changed: list[str] = []
    if not isinstance(alternative_phone_e164, Unset) or not isinstance(alternative_email, Unset):
        row, changed = _details_set(
            firm=firm,
            actor=actor,
            alternative_phone_e164=row.alternative_phone_e164
            if isinstance(alternative_phone_e164, Unset)
            else alternative_phone_e164,
            alternative_email=row.alternative_email
            if isinstance(alternative_email, Unset)
            else alternative_email,
        )
    if not isinstance(event_reminder_days, Unset):
        row, reminders = _reminders_set(firm=firm, actor=actor, days=event_reminder_days)
        changed += reminders
    _settings_change_record(firm=firm, actor=actor, changed=changed)
    return row

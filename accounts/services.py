"""Writes for firms, members and API tokens."""

import secrets

from django.db import transaction
from django.utils import timezone

from common.exceptions import ApplicationError
from common.unset import UNSET, Unset

from .audit import audit_record
from .models import ApiToken, AuditEvent, Firm, Membership, User
from .resolution import token_hash

TOKEN_PREFIX = "ft_"


class TokenNotRevocable(ApplicationError):
    status_code = 404
    error_type = "not_found"


class TollFreeNumberTaken(ApplicationError):
    """The firm already has a toll-free number, or the number is another firm's (S2)."""

    status_code = 409
    error_type = "toll_free_number_taken"


@transaction.atomic
def firm_create(
    *,
    name: str,
    plan: str = Firm.Plan.ESSENTIALS,
    region: str = Firm.Region.NORTH_AMERICA,
    time_zone: str = "America/New_York",
) -> Firm:
    return Firm.objects.create(name=name, plan=plan, region=region, time_zone=time_zone)


@transaction.atomic
def firm_toll_free_number_assign(*, firm: Firm, number_e164: str) -> Firm:
    """Make `number_e164` the firm's one toll-free number (S2).

    A conditional update: a firm that has a number keeps it (TollFreeNumberTaken), and a
    number already given to another firm is refused by the unique column, so two requests
    racing to set a firm up assign at most one number. Re-assigning the same number is a no-op.
    """
    if firm.toll_free_number_e164 == number_e164:
        return firm
    if Firm.objects.filter(toll_free_number_e164=number_e164).exclude(pk=firm.pk).exists():
        raise TollFreeNumberTaken("That toll-free number belongs to another firm.")
    updated = Firm.objects.filter(pk=firm.pk, toll_free_number_e164__isnull=True).update(
        toll_free_number_e164=number_e164, updated_at=timezone.now()
    )
    firm.refresh_from_db(fields=["toll_free_number_e164", "updated_at"])
    if not updated and firm.toll_free_number_e164 != number_e164:
        raise TollFreeNumberTaken("The firm already has a toll-free number.")
    return firm


@transaction.atomic
def member_create(
    *,
    firm: Firm,
    email: str,
    password: str,
    role: str = Membership.Role.STAFF,
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> Membership:
    """A new user who belongs to `firm` with `role`; audited ("system" without `actor`)."""
    user = User.objects.create_user(email, password, first_name=first_name, last_name=last_name)
    membership = Membership.objects.create(firm=firm, user=user, role=role)
    audit_record(
        firm=firm,
        actor=actor,
        action=AuditEvent.Action.MEMBER_ADDED,
        target=user.email,
        details={"role": str(role)},
    )
    return membership


@transaction.atomic
def api_token_create(
    *,
    firm: Firm,
    user: User,
    name: str,
    scope: str = ApiToken.Scope.READ_WRITE,
    actor: User | Unset | None = UNSET,
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the token itself, which is never stored.
    Audited with `actor` as who did it: `user` unless given (members create their own
    tokens), None for "system" (a management command)."""
    if not Membership.objects.for_firm(firm).filter(user=user).exists():
        raise ApplicationError("That user is not a member of this firm.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        firm=firm,
        user=user,
        name=name.strip() or "API token",
        scope=scope,
        prefix=raw[:10],
        key_hash=token_hash(raw),
    )
    audit_record(
        firm=firm,
        actor=user if isinstance(actor, Unset) else actor,
        action=AuditEvent.Action.API_TOKEN_CREATED,
        target=token.name,
        details={"token": str(token.uuid), "scope": token.scope},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, firm: Firm, actor: Membership, token_uuid: str) -> ApiToken:
    """Revoke a token: members their own, admins any of the firm's. Idempotent; the first
    revocation is audited, a repeated one is not."""
    tokens = ApiToken.objects.for_firm(firm).select_related("user")
    if not actor.is_admin:
        tokens = tokens.filter(user_id=actor.user_id)
    token = tokens.filter(uuid=token_uuid).first()
    if token is None:
        raise TokenNotRevocable("No such API token.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(
            firm=firm,
            actor=actor.user,
            action=AuditEvent.Action.API_TOKEN_REVOKED,
            target=token.name,
            details={"token": str(token.uuid), "owner": token.user.email},
        )
    return token

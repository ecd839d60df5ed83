"""Who is asking, and for which firm: the one place that looks across firms.

A session's user or an API token is turned into a Membership before any firm scope exists,
so these two lookups run with scopes disabled. Nothing else in the request does.
"""

import hashlib

from django.utils import timezone
from django_scopes import scopes_disabled

from .models import ApiToken, Membership, User


def token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def membership_for_user(user: User) -> Membership | None:
    """The active user's membership with its firm, or None for users outside any firm."""
    if not user.is_active:
        return None
    with scopes_disabled():
        return Membership.objects.select_related("firm", "user").filter(user=user).first()


def api_token_resolve(raw_token: str) -> tuple[ApiToken, Membership] | None:
    """The live token and its user's membership, or None for an unknown or revoked token."""
    with scopes_disabled():
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=token_hash(raw_token), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        membership = (
            Membership.objects.select_related("firm", "user")
            .filter(user=token.user, firm_id=token.firm_id)
            .first()
        )
        if membership is None:
            return None
        now = timezone.now()
        # Write the last-used time at most once a minute: a busy token must not write per call.
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token, membership

import functools

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .selectors import texting_availability


def firm(request: HttpRequest) -> dict[str, object]:
    """The firm, the member and whether texting is offered, for the layout's navigation."""
    current = getattr(request, "firm", None)
    membership = getattr(request, "membership", None)
    # Pages show the firm's layout only to its signed-in member; a bearer-token request that
    # lands on a page (an unknown API path, say) gets the plain layout.
    if current is None or membership is None or membership.user_id != request.user.pk:
        return {"firm": None, "membership": None, "texting": None}
    # Loaded on first use, where a template shows a badge, then kept for the request: the
    # member's badge preference (S5), then their unread total (C9).
    from texting.notification_selectors import unread_badge_get

    return {
        "firm": current,
        "membership": membership,
        "texting": texting_availability(firm=current),
        "unread_badge": SimpleLazyObject(
            functools.partial(unread_badge_get, firm=current, user=request.user)
        ),
    }

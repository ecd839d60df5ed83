import functools

from django.http import HttpRequest

from .selectors import texting_availability


def firm(request: HttpRequest) -> dict[str, object]:
    """The firm, the member and whether texting is offered, for the layout's navigation."""
    current = getattr(request, "firm", None)
    membership = getattr(request, "membership", None)
    # Pages show the firm's layout only to its signed-in member; a bearer-token request that
    # lands on a page (an unknown API path, say) gets the plain layout.
    if current is None or membership is None or membership.user_id != request.user.pk:
        return {"firm": None, "membership": None, "texting": None}
    # Called by the template only where the navigation shows it: one indexed sum (C9).
    from texting.selectors import unread_total

    return {
        "firm": current,
        "membership": membership,
        "texting": texting_availability(firm=current),
        "unread_total": functools.partial(unread_total, firm=current, user=request.user),
    }

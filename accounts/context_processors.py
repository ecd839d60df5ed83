from django.http import HttpRequest

from .selectors import texting_availability


def firm(request: HttpRequest) -> dict[str, object]:
    """The firm, the member and whether texting is offered, for the layout's navigation."""
    current = getattr(request, "firm", None)
    if current is None:
        return {"firm": None, "membership": None, "texting": None}
    return {
        "firm": current,
        "membership": request.membership,  # type: ignore[attr-defined]
        "texting": texting_availability(firm=current),
    }

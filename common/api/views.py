"""FirmAPIView: the base of every API view (STYLE.md section 5)."""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404
from rest_framework.generics import GenericAPIView

from accounts.models import Firm, Membership


class FirmAPIView(GenericAPIView):  # type: ignore[type-arg]
    """Requires a firm member (IsFirmMember by default); builds querysets per request.

    Subclasses implement get_queryset() from self.firm and never set a class-level queryset.
    Objects are looked up by `uuid` in the URL; another firm's uuid is 404 like a missing one.
    """

    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    @property
    def firm(self) -> Firm:
        return self.request._request.firm  # type: ignore[attr-defined, no-any-return]

    @property
    def membership(self) -> Membership:
        return self.request._request.membership  # type: ignore[attr-defined, no-any-return]

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["firm"] = getattr(self.request._request, "firm", None)
        return context

    def get_object(self) -> Model:
        try:
            return super().get_object()
        except (ValueError, TypeError):  # a malformed uuid is simply not found
            raise Http404 from None

    def get_queryset(self) -> QuerySet[Any]:
        raise NotImplementedError("FirmAPIView subclasses build their queryset from self.firm")

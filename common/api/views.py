"""FirmAPIView: the base of every API view (STYLE.md section 5).

Besides the firm, it applies the conventions every endpoint shares, once: `?fields=` on
successful GETs (common.api.selection), an `ETag` on each successful GET with a 304 for a
matching `If-None-Match`, and the per-token rate limit (common.api.throttling, from
REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES). Their schema: common.api.schema.
"""

from typing import Any

from django.db.models import Model, QuerySet
from django.http import Http404, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Firm, Membership

from . import selection
from .schema import FirmAutoSchema


class FirmAPIView(GenericAPIView):  # type: ignore[type-arg]
    """Requires a firm member (IsFirmMember by default); builds querysets per request.

    Subclasses implement get_queryset() from self.firm and never set a class-level queryset.
    Objects are looked up by `uuid` in the URL; another firm's uuid is 404 like a missing one.
    """

    lookup_field = "uuid"
    lookup_url_kwarg = "id"
    schema = FirmAutoSchema()
    # No OPTIONS: DRF's metadata describes `serializer_class`, which these views do not set
    # (an OPTIONS request was a 500); the schema at /api/schema/ is the description.
    metadata_class = None

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

    def finalize_response(  # type: ignore[override]  # a 304 is not a DRF Response
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        raw_fields = request.query_params.get(selection.PARAMETER)
        if (
            raw_fields is not None
            and request.method == "GET"
            and 200 <= response.status_code < 300
            and isinstance(response, Response)
            and isinstance(response.data, dict)
            and "data" in response.data  # the envelope: its objects are what `fields` chooses
        ):
            try:
                response.data["data"] = selection.select_fields(response.data["data"], raw_fields)
            except selection.InvalidFieldSelection as exc:
                response = self.handle_exception(exc)
        # DRF's stubs say Response; a view may also return a FileResponse (media downloads).
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[arg-type]
        if request.method == "GET" and isinstance(response, Response):
            return self._conditional(request, response)
        return response

    @staticmethod
    def _conditional(request: Request, response: Response) -> HttpResponseBase:
        """ETag of the rendered body; 304 when If-None-Match names it.

        Only 2xx bodies are tagged and only they can become a 304, so another firm's id is
        a 404 whatever the client sends. `private`: a shared cache must not keep firm data.
        """
        if not 200 <= response.status_code < 300:
            return response
        response.render()
        set_response_etag(response)
        patch_cache_control(response, private=True, no_cache=True)
        conditional = get_conditional_response(
            request._request, etag=response.get("ETag"), response=response
        )
        return conditional or response

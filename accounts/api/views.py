from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import texting_availability
from common.api.envelope import envelope, enveloped
from common.api.views import FirmAPIView

from .serializers import WhoAmIOutput


class WhoAmIApi(FirmAPIView):
    """The authenticated user, their role and their firm (Clio's `users/who_am_i`)."""

    @extend_schema(responses=enveloped(WhoAmIOutput), operation_id="users_who_am_i")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        availability = texting_availability(firm=self.firm)
        token = self.request._request.api_token  # type: ignore[attr-defined]
        data = {
            "user": self.membership.user,
            "role": self.membership.role,
            "token_scope": token.scope if token else None,
            "firm": {
                "uuid": self.firm.uuid,
                "name": self.firm.name,
                "plan": self.firm.plan,
                "region": self.firm.region,
                "time_zone": self.firm.time_zone,
                "texting_available": availability.available,
                "texting_unavailable_reason": availability.reason,
            },
        }
        return envelope(WhoAmIOutput(data).data)

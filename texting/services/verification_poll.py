"""S3's fallback: ask the provider for the status of verifications still pending.

The provider's verification webhook normally moves a firm from pending to verified or
rejected. A webhook lost on the way (our outage past the provider's retries, a
subscription missing) would leave the firm pending for good, so a periodic task asks the
provider about every firm whose verification has been pending a while, outside any
transaction, and records a change the way the webhook would.
"""

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm

from ..models import TextingSettings
from ..provider import ProviderClient, ProviderError, VerificationState, mask_number
from .provider_events import verification_state_record

logger = logging.getLogger(__name__)

# Asked at most this often per firm: carriers take days, the webhook usually comes first.
POLL_AFTER = timedelta(minutes=30)


def _due(settings: TextingSettings, now: datetime) -> bool:
    """Pending, and not asked about (nor told by a webhook) for POLL_AFTER."""
    if settings.verification_status != TextingSettings.VerificationStatus.PENDING:
        return False
    updated = settings.verification_updated_at
    return updated is None or updated < now - POLL_AFTER


def verification_statuses_poll() -> int:
    """Poll the provider for each firm pending for longer than POLL_AFTER; record what
    changed. The number of firms whose status changed. Provider errors are logged (number
    masked) and leave the firm to the next run."""
    now = timezone.now()
    changed = 0
    firms = Firm.objects.filter(toll_free_number_e164__isnull=False).only(
        "id", "toll_free_number_e164"
    )
    for firm in firms:
        with scope(firm=firm.id):
            settings = TextingSettings.objects.for_firm(firm).first()
            if settings is None or not _due(settings, now):
                continue
            number = str(firm.toll_free_number_e164)
            try:
                with ProviderClient.from_settings() as provider:
                    found = provider.tfv_status(number)
            except ProviderError:
                logger.warning(
                    "verification status poll failed",
                    extra={"firm_id": firm.id, "number": mask_number(number)},
                    exc_info=True,
                )
                continue
            if found.status is VerificationState.VERIFIED or found.denied:
                verification_state_record(
                    firm=firm,
                    status=found.status.value,
                    denial_code=found.denial_status_code,
                    reason=found.decline_reason or "",
                )
                changed += 1
            else:  # still pending: asked again after POLL_AFTER
                TextingSettings.objects.for_firm(firm).filter(id=settings.id).update(
                    verification_updated_at=now
                )
    return changed

"""S3's fallback: the periodic poll records a verification decision whose webhook was lost."""

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_scopes import scope

from accounts.models import Firm
from texting.models import TextingSettings
from texting.services.verification_poll import POLL_AFTER, verification_statuses_poll
from texting.tasks import verification_statuses_poll_task

pytestmark = pytest.mark.django_db


def pending(firm: Firm, *, since: timedelta) -> None:
    with scope(firm=firm.id):
        TextingSettings.objects.create(
            firm=firm,
            verification_status=TextingSettings.VerificationStatus.PENDING,
            verification_updated_at=timezone.now() - since,
        )


def status_of(firm: Firm) -> TextingSettings:
    with scope(firm=firm.id):
        return TextingSettings.objects.get(firm=firm)


def test_a_decision_the_webhook_never_brought_is_recorded(texting_firm: Firm, sandbox) -> None:
    pending(texting_firm, since=POLL_AFTER + timedelta(minutes=1))
    sandbox.control.set_verification(texting_firm.toll_free_number_e164, "VERIFIED")

    assert verification_statuses_poll() == 1

    assert status_of(texting_firm).verification_status == "verified"


def test_a_denial_is_recorded_with_its_code_and_reason(texting_firm: Firm, sandbox) -> None:
    pending(texting_firm, since=timedelta(hours=3))
    sandbox.control.set_verification(
        texting_firm.toll_free_number_e164,
        "UNVERIFIED",
        denial_status_code=511,
        decline_reason_description="Opt-in workflow not provided",
    )

    verification_statuses_poll_task()

    found = status_of(texting_firm)
    assert found.verification_status == "rejected"
    assert found.verification_denial_code == 511
    assert found.verification_decline_reason == "Opt-in workflow not provided"


def test_a_firm_pending_only_briefly_or_still_pending_is_left_as_it_is(
    texting_firm: Firm, sandbox, other_firm: Firm
) -> None:
    pending(texting_firm, since=timedelta(minutes=1))  # the webhook is likely on its way
    sandbox.control.set_verification(texting_firm.toll_free_number_e164, "VERIFIED")
    assert verification_statuses_poll() == 0
    assert status_of(texting_firm).verification_status == "pending"

    sandbox.control.set_verification(texting_firm.toll_free_number_e164, "PENDING")
    with scope(firm=texting_firm.id):
        TextingSettings.objects.update(verification_updated_at=timezone.now() - timedelta(days=1))
    assert verification_statuses_poll() == 0
    found = status_of(texting_firm)
    assert found.verification_status == "pending"
    assert found.verification_updated_at > timezone.now() - timedelta(minutes=1)  # asked now


def test_an_unreachable_provider_changes_nothing_and_logs_no_number(
    texting_firm: Firm, sandbox, settings: Any, caplog: Any
) -> None:
    pending(texting_firm, since=timedelta(hours=3))
    settings.PROVIDER_API_URL = "http://127.0.0.1:9"
    settings.PROVIDER_MESSAGING_URL = settings.PROVIDER_VERIFICATION_URL = ""

    with caplog.at_level(logging.WARNING):
        assert verification_statuses_poll() == 0

    assert status_of(texting_firm).verification_status == "pending"
    assert "verification status poll failed" in caplog.text
    assert texting_firm.toll_free_number_e164 not in caplog.text


def test_the_poll_runs_every_quarter_hour_under_its_stable_name(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["texting-verification-poll"]
    assert entry["task"] == verification_statuses_poll_task.name
    assert entry["schedule"] == 15 * 60

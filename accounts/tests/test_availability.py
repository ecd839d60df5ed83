import pytest

from accounts.models import Firm
from accounts.selectors import texting_availability
from accounts.tests.factories import FirmFactory


@pytest.mark.parametrize("plan", [Firm.Plan.ESSENTIALS, Firm.Plan.ADVANCED, Firm.Plan.COMPLETE])
def test_texting_available_in_north_america_on_paid_plans(db: None, plan: str) -> None:
    availability = texting_availability(firm=FirmFactory(plan=plan))
    assert availability.available
    assert availability.reason == ""


def test_easystart_plan_has_no_texting_and_says_why(db: None) -> None:
    availability = texting_availability(firm=FirmFactory(plan=Firm.Plan.EASYSTART))
    assert not availability.available
    assert "Essentials, Advanced and Complete" in availability.reason
    assert "EasyStart" in availability.reason


@pytest.mark.parametrize("region", [Firm.Region.EU, Firm.Region.AUSTRALIA])
def test_regions_outside_north_america_have_no_texting(db: None, region: str) -> None:
    availability = texting_availability(firm=FirmFactory(region=region, plan=Firm.Plan.COMPLETE))
    assert not availability.available
    assert "North America" in availability.reason


def test_settings_page_shows_why_texting_is_unavailable(client_for, db: None) -> None:
    from accounts.tests.factories import MembershipFactory

    firm = FirmFactory(region=Firm.Region.EU)
    user = MembershipFactory(firm=firm).user
    page = client_for(user).get("/settings/").content.decode()
    assert "Not available" in page
    assert "only to firms hosted in the North America region" in page

"""The list date formats give exactly what Django's `date` filter gives."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from common.templatetags.when import iso_time, short_time

ZONES = ["UTC", "America/New_York", "America/Los_Angeles", "Asia/Kolkata", "Australia/Adelaide"]


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(ZONES),
)
def test_the_same_text_as_the_date_filter_in_the_active_time_zone(
    value: datetime, zone: str
) -> None:
    # Through a template, as the pages use them: `date` gets the value in local time.
    django_date = Template("""{{ v|date:"M j, g:i A" }}|{{ v|date:"c" }}""")
    with timezone.override(ZoneInfo(zone)):
        assert f"{short_time(value)}|{iso_time(value)}" == django_date.render(Context({"v": value}))


def test_noon_and_midnight_and_no_value() -> None:
    with timezone.override(UTC):
        assert short_time(datetime(2026, 11, 29, 0, 5, tzinfo=UTC)) == "Nov 29, 12:05 AM"
        assert short_time(datetime(2026, 11, 29, 12, 5, tzinfo=UTC)) == "Nov 29, 12:05 PM"
    assert short_time(None) == iso_time(None) == ""

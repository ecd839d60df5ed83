"""Sending: validation parity, the 202 body, segment counts, and the list endpoint."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, TF_NUMBER, Api

MESSAGE_ID = re.compile(r"^\d{13}[a-z0-9]{16}$")


def _field_errors(response: object) -> list[str]:
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"] == "request-validation"
    assert body["description"] == "Your request could not be accepted"
    return [error["fieldName"] for error in body["fieldErrors"]]


def test_accepted_message_has_the_real_202_body(api: Api, sandbox: SandboxProcess) -> None:
    response = api.send(to="+12025550143", text="Your code is 123456", tag="order-8812")
    assert response.status_code == 202
    body = response.json()
    assert MESSAGE_ID.match(body["id"])
    assert body["owner"] == TF_NUMBER
    assert body["applicationId"] == "app-1"  # any applicationId while none is configured
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", body["time"])
    assert body["segmentCount"] == 1
    assert body["direction"] == "out"
    assert body["to"] == ["+12025550143"]  # a bare string comes back as an array
    assert body["from"] == TF_NUMBER
    assert body["text"] == "Your code is 123456"
    assert body["tag"] == "order-8812"
    assert body["priority"] == "default"
    [record] = sandbox.control.messages(tag="order-8812")
    assert record["id"] == body["id"]
    assert record["text"] == "Your code is 123456"
    assert record["segment_count"] == 1


def test_wrong_content_type_gets_415(api: Api) -> None:
    response = api.session.post(
        api.url(f"/api/v2/users/{ACCOUNT}/messages"),
        data="to=%2B12025550143",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert response.status_code == 415
    assert response.json()["type"] == "unsupported-content-type"


def test_charset_parameter_is_fine(api: Api) -> None:
    response = api.session.post(
        api.url(f"/api/v2/users/{ACCOUNT}/messages"),
        data=b'{"applicationId":"a","to":["+12025550143"],"from":"+18445550100","text":"hi"}',
        headers={"Content-Type": "application/json; charset=utf-8"},
        timeout=5,
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": [f"+1202555{n:04d}" for n in range(200, 211)]}, "to"),  # 11 recipients
        ({"to": ["+12025550143", "+12025550143"]}, "to"),
        ({"to": ["+1202555014"]}, "to"),
        ({"to": ["2025550143"]}, "to"),
        ({"to": []}, "to"),
        ({"from_": "+invalid"}, "from"),
        ({"from_": "+18445550199"}, "from"),  # valid but not owned
        ({"text": "x" * 2049}, "text"),
        ({"text": ""}, "text"),
        ({"tag": "t" * 1025}, "tag"),
        ({"priority": "urgent"}, "priority"),
        ({"applicationId": ""}, "applicationId"),
        ({"expiration": "2001-01-01T00:00:00Z"}, "expiration"),
        ({"expiration": "tomorrow"}, "expiration"),
    ],
)
def test_invalid_sends_get_400_with_field_errors(api: Api, body: dict, field: str) -> None:
    response = api.send(**body)
    assert response.status_code == 400
    assert field in _field_errors(response)


def test_limits_themselves_are_accepted(api: Api) -> None:
    ten = [f"+1202555{n:04d}" for n in range(200, 210)]
    assert api.send(to=ten, text="x" * 2048, tag="t" * 1024).status_code == 202
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    accepted = api.send(expiration=future, priority="high")
    assert accepted.status_code == 202
    assert accepted.json()["expiration"] == future


def test_nothing_is_recorded_for_a_refused_send(api: Api, sandbox: SandboxProcess) -> None:
    api.send(text="x" * 2049)
    assert sandbox.control.messages() == []


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("ж" * 70, 1),
        ("ж" * 71, 2),
        ("^" * 80, 1),  # extension characters count double
        ("^" * 81, 2),
        ("€" + "a" * 158, 1),
        ("€" + "a" * 159, 2),
        ("😀" * 35, 1),  # two UTF-16 code units each
        ("😀" * 36, 2),
    ],
)
def test_segment_count_follows_gsm7_and_ucs2(api: Api, text: str, segments: int) -> None:
    assert api.send(text=text).json()["segmentCount"] == segments


def test_mms_is_one_segment(api: Api) -> None:
    response = api.send(text="a" * 500, media=["https://example.com/a.jpg"])
    assert response.json()["segmentCount"] == 1
    assert response.json()["media"] == ["https://example.com/a.jpg"]


def test_list_messages_filters_by_message_id(api: Api) -> None:
    first = api.send(to=["+12025550143", "+12025550144"]).json()["id"]
    api.send()
    response = api.session.get(
        api.url(f"/api/v2/users/{ACCOUNT}/messages"), params={"messageId": first}, timeout=5
    )
    assert response.status_code == 200
    body = response.json()
    assert body["totalCount"] == 2  # one row per recipient
    assert {row["destinationTn"] for row in body["messages"]} == {"+12025550143", "+12025550144"}
    row = body["messages"][0]
    assert row["messageId"] == first
    assert row["sourceTn"] == TF_NUMBER
    assert row["messageDirection"] == "OUTBOUND"
    assert row["messageStatus"] in {"QUEUED", "SENDING", "DELIVERED"}
    assert set(body["pageInfo"]) == {"prevPage", "nextPage", "prevPageToken", "nextPageToken"}


def test_list_messages_pages(api: Api) -> None:
    for _ in range(3):
        api.send()
    url = api.url(f"/api/v2/users/{ACCOUNT}/messages")
    page = api.session.get(url, params={"limit": 2}, timeout=5).json()
    assert len(page["messages"]) == 2
    assert page["totalCount"] == 3
    rest = api.session.get(
        url, params={"limit": 2, "pageToken": page["pageInfo"]["nextPageToken"]}, timeout=5
    ).json()
    assert len(rest["messages"]) == 1

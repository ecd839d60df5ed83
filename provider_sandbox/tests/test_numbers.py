"""Toll-free number search and order, in XML like Bandwidth's Numbers API."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import phonenumbers

from provider_sandbox.numbers import INVENTORY
from provider_sandbox.testing import SandboxProcess

from .conftest import ACCOUNT, Api

ORDER = """<Order><Name>tf-1</Name><SiteId>12345</SiteId><PeerId>67890</PeerId>
<ExistingTelephoneNumberOrderType><TelephoneNumberList>
<TelephoneNumber>{number}</TelephoneNumber>
</TelephoneNumberList></ExistingTelephoneNumberOrderType></Order>"""


def _search(api: Api, **params: str) -> ET.Element:
    response = api.session.get(
        api.url(f"/api/accounts/{ACCOUNT}/availableNumbers"), params=params, timeout=5
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def _order(api: Api, xml: str) -> object:
    return api.session.post(
        api.url(f"/api/accounts/{ACCOUNT}/orders"),
        data=xml.encode(),
        headers={"Content-Type": "application/xml"},
        timeout=5,
    )


def test_inventory_is_valid_toll_free_numbers() -> None:
    for number in INVENTORY:
        parsed = phonenumbers.parse(number)
        assert phonenumbers.is_valid_number(parsed), number
        assert phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.TOLL_FREE


def test_search_returns_ten_digit_numbers_matching_the_pattern(api: Api) -> None:
    result = _search(api, tollFreeWildCardPattern="83*", quantity="3")
    numbers = [el.text or "" for el in result.iter("TelephoneNumber")]
    assert result.findtext("ResultCount") == "3"
    assert len(numbers) == 3
    assert all(len(n) == 10 and n.startswith("833") for n in numbers)


def test_order_makes_the_number_ours(api: Api, sandbox: SandboxProcess) -> None:
    number = _search(api, tollFreeWildCardPattern="8**", quantity="1").findtext(
        "TelephoneNumberList/TelephoneNumber"
    )
    # The sandbox fixture owns +18445550100, so the first free one is the next.
    assert number == "8445550101"
    response = _order(api, ORDER.format(number=number))
    assert response.status_code == 201  # type: ignore[attr-defined]
    created = ET.fromstring(response.content)  # type: ignore[attr-defined]
    assert created.findtext("OrderStatus") == "RECEIVED"
    order_id = created.findtext("Order/id")
    assert response.headers["Location"].endswith(f"/orders/{order_id}")  # type: ignore[attr-defined]

    fetched = api.session.get(api.url(f"/api/accounts/{ACCOUNT}/orders/{order_id}"), timeout=5)
    order = ET.fromstring(fetched.content)
    assert order.findtext("OrderStatus") == "COMPLETE"
    assert order.findtext("CompletedNumbers/TelephoneNumber/FullNumber") == number
    assert f"+1{number}" in sandbox.control.numbers()
    again = _search(api, tollFreeWildCardPattern="844", quantity="1")
    assert again.findtext("TelephoneNumberList/TelephoneNumber") == "8445550102"


def test_search_and_order_by_wildcard(api: Api, sandbox: SandboxProcess) -> None:
    xml = (
        "<Order><SiteId>1</SiteId><TollFreeWildCharSearchAndOrderType><Quantity>2</Quantity>"
        "<TollFreeWildCardPattern>87*</TollFreeWildCardPattern>"
        "</TollFreeWildCharSearchAndOrderType></Order>"
    )
    order_id = ET.fromstring(_order(api, xml).content).findtext("Order/id")  # type: ignore[attr-defined]
    order = ET.fromstring(
        api.session.get(api.url(f"/api/accounts/{ACCOUNT}/orders/{order_id}")).content
    )
    assert [el.text for el in order.iter("FullNumber")] == ["8775550100", "8775550101"]


def test_order_without_site_id_is_refused(api: Api) -> None:
    response = _order(api, "<Order><ExistingTelephoneNumberOrderType/></Order>")
    assert response.status_code == 400  # type: ignore[attr-defined]
    error = ET.fromstring(response.content)  # type: ignore[attr-defined]
    assert error.findtext("ResponseStatus/ErrorCode") == "5022"


def test_ordering_a_taken_number_fails(api: Api) -> None:
    response = _order(api, ORDER.format(number="8445550100"))  # owned by the fixture
    order_id = ET.fromstring(response.content).findtext("Order/id")  # type: ignore[attr-defined]
    order = ET.fromstring(
        api.session.get(api.url(f"/api/accounts/{ACCOUNT}/orders/{order_id}")).content
    )
    assert order.findtext("OrderStatus") == "FAILED"


def test_numbers_api_also_answers_under_api_v1(api: Api) -> None:
    response = api.session.get(
        api.url(f"/api/v1/accounts/{ACCOUNT}/availableNumbers"),
        params={"tollFreeWildCardPattern": "8**", "quantity": "1"},
        timeout=5,
    )
    assert ET.fromstring(response.content).findtext("ResultCount") == "1"


def test_search_without_pattern_is_refused(api: Api) -> None:
    response = api.session.get(api.url(f"/api/accounts/{ACCOUNT}/availableNumbers"), timeout=5)
    assert response.status_code == 400
    assert ET.fromstring(response.content).findtext("ResponseStatus/ErrorCode") == "4010"

"""Toll-free number search and order: the XML numbers API."""

import re

import pytest

from texting.provider import OrderStatus, ProviderRejected

from .conftest import OUR_NUMBER, api_requests


def test_search_returns_e164_numbers(provider):
    numbers = provider.search_toll_free("8**", quantity=3)
    assert len(numbers) == 3
    assert all(re.fullmatch(r"\+18\d{9}", n) for n in numbers)
    assert OUR_NUMBER not in numbers  # owned numbers are not offered
    assert all(n.startswith("+1844") for n in provider.search_toll_free("84*", quantity=2))


def test_order_completes_with_e164_numbers(provider, fresh_sandbox):
    wanted = provider.search_toll_free("87*", quantity=2)
    order = provider.order_numbers(wanted, site_id="12345", peer_id="67890", name="tf-garcia")
    assert order.id and order.status == OrderStatus.RECEIVED and not order.done
    assert order.name == "tf-garcia"

    done = provider.order_status(order.id)
    assert done.id == order.id
    assert done.status == OrderStatus.COMPLETE and done.done
    assert done.completed_numbers == tuple(wanted)
    assert done.failed_numbers == ()
    assert set(wanted) <= set(fresh_sandbox.control.numbers())
    assert provider.search_toll_free("87*", quantity=5)[0] not in wanted


def test_order_of_an_unavailable_number_fails(provider):
    order = provider.order_numbers([OUR_NUMBER], site_id="1", peer_id="2")
    done = provider.order_status(order.id)
    assert done.status == OrderStatus.FAILED
    assert done.failed_numbers == (OUR_NUMBER,)
    assert done.error_codes == ("5005",)


def test_unknown_order_is_not_found(provider):
    with pytest.raises(ProviderRejected) as excinfo:
        provider.order_status("3f2b1c1e-0000-4000-8000-000000000000")
    assert excinfo.value.http_status == 404
    assert excinfo.value.error_type == "5003"


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.search_toll_free("9**"),
        lambda p: p.search_toll_free("8**", quantity=0),
        lambda p: p.order_numbers(["8445550150"], site_id="1", peer_id="2"),
        lambda p: p.order_numbers(["+442071234567"], site_id="1", peer_id="2"),
        lambda p: p.order_numbers([], site_id="1", peer_id="2"),
        lambda p: p.order_numbers(["+18445550150"], site_id="", peer_id="2"),
        lambda p: p.order_status("../../messages"),
    ],
)
def test_local_checks_make_no_request(provider, fresh_sandbox, counting, call):
    with pytest.raises(ProviderRejected):
        call(provider)
    assert counting.sent == [] and api_requests(fresh_sandbox) == []

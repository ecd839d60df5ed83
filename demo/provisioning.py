"""A demo firm's toll-free number, ordered from the provider (the sandbox, in demo and tests).

`toll_free_number_order` searches, orders and waits for the order to complete, as setting up
texting for a real firm would (S2). It only talks to the provider and writes nothing: the
caller assigns the number in the firm's own transaction afterwards, so a network call never
runs inside a transaction and a provider that cannot be reached leaves no half-made firm.
"""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import Firm
from texting.provider import (
    NumberOrder,
    OrderStatus,
    ProviderClient,
    ProviderError,
    ProviderUnavailable,
    mask_number,
)

logger = logging.getLogger(__name__)

ORDER_NAME = "seed_demo"
# A few candidates, so numbers our database already gives to a firm (a sandbox whose state
# was deleted while the database was kept) can be skipped.
SEARCH_QUANTITY = 10
ORDER_ATTEMPTS = 3
ORDER_WAIT_SECONDS = 10.0
ORDER_POLL_SECONDS = 0.2


class DemoSeedError(Exception):
    """seed_demo cannot go on; the message is a sentence for the person who ran it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.firms_made = 0  # set by demo_seed: firms committed before this one failed


class ProviderUnreachable(DemoSeedError):
    """No answer at all from the provider's numbers API (nothing listening, a timeout)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"Could not reach the provider at {url}.")
        self.url = url


class NumberOrderFailed(DemoSeedError):
    """The provider answered but no toll-free number could be ordered."""


def toll_free_number_order(
    *, sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic
) -> str:
    """Search one available toll-free number, order it and wait until the order is COMPLETE.

    Returns the number (E.164), which the provider now counts as the account's. Writes
    nothing to the database and must not be called inside a transaction. Raises
    ProviderUnreachable when the provider does not answer, NumberOrderFailed otherwise
    (missing settings, refused credentials, no number left, an order that does not complete).
    """
    site_id, peer_id = str(settings.PROVIDER_SITE_ID), str(settings.PROVIDER_PEER_ID)
    if not site_id or not peer_id:
        raise NumberOrderFailed(
            "PROVIDER_SITE_ID and PROVIDER_PEER_ID must be set to order a toll-free number."
        )
    try:
        client = ProviderClient.from_settings()
    except ImproperlyConfigured as error:
        raise NumberOrderFailed(f"The provider is not configured: {error}.") from None
    url = client.config.numbers_url
    with client:
        try:
            for _ in range(ORDER_ATTEMPTS):
                candidates = _unassigned(client.search_toll_free("8**", SEARCH_QUANTITY))
                if not candidates:
                    raise NumberOrderFailed(
                        f"The provider at {url} has no toll-free number left to order."
                    )
                number = candidates[0]
                order = client.order_numbers(
                    [number], site_id=site_id, peer_id=peer_id, name=ORDER_NAME
                )
                order = _completed(client, order, sleep=sleep, clock=clock)
                if order.status == OrderStatus.COMPLETE and number in order.completed_numbers:
                    logger.info("demo toll-free number ordered: %s", mask_number(number))
                    return number
                # Taken between the search and the order (FAILED): search again.
        except ProviderUnavailable as error:
            if error.http_status is None:
                raise ProviderUnreachable(url) from None
            raise NumberOrderFailed(
                f"The provider at {url} could not order a toll-free number: {error}."
            ) from None
        except ProviderError as error:
            raise NumberOrderFailed(
                f"The provider at {url} refused to order a toll-free number: {error}."
            ) from None
    raise NumberOrderFailed(
        f"The provider at {url} did not complete an order for a toll-free number."
    )


def _unassigned(numbers: list[str]) -> list[str]:
    taken = set(
        Firm.objects.filter(toll_free_number_e164__in=numbers).values_list(
            "toll_free_number_e164", flat=True
        )
    )
    return [number for number in numbers if number not in taken]


def _completed(
    client: ProviderClient,
    order: NumberOrder,
    *,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> NumberOrder:
    """Poll the order until the provider has finished it (Bandwidth answers RECEIVED first)."""
    deadline = clock() + ORDER_WAIT_SECONDS
    while not order.done:
        if clock() >= deadline:
            raise NumberOrderFailed(
                f"The provider did not finish ordering a toll-free number within "
                f"{ORDER_WAIT_SECONDS:.0f} seconds (order {order.id}, {order.status})."
            )
        sleep(ORDER_POLL_SECONDS)
        order = client.order_status(order.id)
    return order

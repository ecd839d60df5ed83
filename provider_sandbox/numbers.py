"""Numbers API in XML (PROVIDER_API.md section 6): toll-free search and instant orders.

The inventory is fixed and deterministic: 555-0100..555-0199 in each toll-free area code,
all numbers `phonenumbers` accepts as valid. A search never returns an owned number; an
order completes at once and the numbers become the account's.
"""

from __future__ import annotations

import threading
import uuid
import xml.etree.ElementTree as ET
from typing import Any

from werkzeug.wrappers import Request, Response

from .responses import xml_response
from .runtime import Sandbox, iso

TOLL_FREE_AREA_CODES = ("844", "833", "855", "866", "877", "888", "800")
INVENTORY: tuple[str, ...] = tuple(
    f"+1{area}555{line:04d}" for area in TOLL_FREE_AREA_CODES for line in range(100, 200)
)
DEFAULT_QUANTITY = 10
# Two orders for the same number at once must not both get it.
_ORDER_LOCK = threading.Lock()
MAX_QUANTITY = 5000
_KEYPAD = {
    c: d
    for d, letters in {
        "2": "ABC",
        "3": "DEF",
        "4": "GHI",
        "5": "JKL",
        "6": "MNO",
        "7": "PQRS",
        "8": "TUV",
        "9": "WXYZ",
    }.items()
    for c in letters
}


def _xml(root: ET.Element) -> str:
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{body}'


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _error(root_tag: str, status: int, code: int, description: str) -> Response:
    """Iris-style error: <XResponse><ResponseStatus><ErrorCode/><Description/>..."""
    root = ET.Element(root_tag)
    response_status = _sub(root, "ResponseStatus")
    _sub(response_status, "ErrorCode", code)
    _sub(response_status, "Description", description)
    return xml_response(_xml(root), status)


def ten_digits(e164: str) -> str:
    return e164[2:] if e164.startswith("+1") else e164


def to_e164(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    return raw.strip()


def _pattern_matches(pattern: str, e164: str) -> bool:
    area = ten_digits(e164)[:3]
    return all(p in ("*", a) for p, a in zip(pattern, area, strict=True))


def _available(sandbox: Sandbox, account_id: str) -> list[str]:
    owned = set(sandbox.store.owned_numbers(account_id))
    return [number for number in INVENTORY if number not in owned]


def search(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """GET /api/accounts/{accountId}/availableNumbers?tollFreeWildCardPattern=8**&quantity=N."""
    pattern = request.args.get("tollFreeWildCardPattern")
    vanity = request.args.get("tollFreeVanity")
    try:
        quantity = int(request.args.get("quantity", DEFAULT_QUANTITY))
    except ValueError:
        return _error("SearchResult", 400, 4000, "quantity must be a whole number")
    if not 1 <= quantity <= MAX_QUANTITY:
        return _error("SearchResult", 400, 4000, f"quantity must be between 1 and {MAX_QUANTITY}")
    available = _available(sandbox, account_id)
    if pattern:
        if (
            len(pattern) != 3
            or pattern[0] != "8"
            or not all(c.isdigit() or c == "*" for c in pattern)
        ):
            description = f"'{pattern}' is not a toll-free wildcard pattern such as 8** or 84*"
            return _error("SearchResult", 400, 4000, description)
        found = [number for number in available if _pattern_matches(pattern, number)]
    elif vanity:
        digits = "".join(_KEYPAD.get(c.upper(), c) for c in vanity if c.isalnum())
        found = [number for number in available if digits and digits in ten_digits(number)[3:]]
    else:
        return _error(
            "SearchResult",
            400,
            4010,
            "One of more required search parameters are missing: "
            "tollFreeWildCardPattern or tollFreeVanity",
        )
    found = found[:quantity]
    root = ET.Element("SearchResult")
    _sub(root, "ResultCount", len(found))
    if found:
        numbers = _sub(root, "TelephoneNumberList")
        for number in found:
            _sub(numbers, "TelephoneNumber", ten_digits(number))
    return xml_response(_xml(root))


def _order_numbers(sandbox: Sandbox, account_id: str, order: ET.Element) -> list[str] | str:
    """The numbers the order asks for (E.164), or an error sentence."""
    existing = order.find("ExistingTelephoneNumberOrderType")
    wildcard = order.find("TollFreeWildCharSearchAndOrderType")
    if existing is not None:
        numbers = [to_e164(el.text or "") for el in existing.iter("TelephoneNumber")]
        return numbers or "ExistingTelephoneNumberOrderType has no TelephoneNumber"
    if wildcard is not None:
        pattern = (wildcard.findtext("TollFreeWildCardPattern") or "").strip()
        try:
            quantity = int(wildcard.findtext("Quantity") or "1")
        except ValueError:
            return "Quantity must be a whole number"
        if len(pattern) != 3 or not pattern.startswith("8"):
            return "TollFreeWildCardPattern must look like 8** or 84*"
        matching = [n for n in _available(sandbox, account_id) if _pattern_matches(pattern, n)]
        return matching[:quantity]
    return "The order needs ExistingTelephoneNumberOrderType or TollFreeWildCharSearchAndOrderType"


def create_order(sandbox: Sandbox, request: Request, account_id: str) -> Response:
    """POST /api/accounts/{accountId}/orders: 201 RECEIVED; the numbers are owned at once."""
    try:
        # Expat neither fetches external entities nor expands nested ones without limit.
        order = ET.fromstring(request.get_data(as_text=True))  # noqa: S314
    except ET.ParseError:
        return _error("OrderResponse", 400, 1001, "The request body is not well-formed XML")
    if order.tag != "Order":
        return _error("OrderResponse", 400, 1001, "The root element must be Order")
    if not (order.findtext("SiteId") or "").strip():
        return _error("OrderResponse", 400, 5022, "SiteId is required")
    numbers = _order_numbers(sandbox, account_id, order)
    if isinstance(numbers, str):
        return _error("OrderResponse", 400, 5004, numbers)

    now = sandbox.now()
    with _ORDER_LOCK:
        available = set(_available(sandbox, account_id))
        completed = [n for n in numbers if n in available]
        failed = [n for n in numbers if n not in available]
        for number in completed:
            sandbox.store.own_number(account_id, number, now)
    order_id = str(uuid.uuid4())
    _sub(order, "id", order_id)
    _sub(order, "OrderCreateDate", iso(now))
    status = "COMPLETE" if completed and not failed else "PARTIAL" if completed else "FAILED"
    sandbox.store.put_document(
        "orders",
        order_id,
        {
            "id": order_id,
            "accountId": account_id,
            "order": ET.tostring(order, encoding="unicode"),
            "completed": completed,
            "failed": failed,
            "status": status,
            "created": iso(now),
        },
    )
    root = ET.Element("OrderResponse")
    root.append(order)
    _sub(root, "OrderStatus", "RECEIVED")
    location = f"{sandbox.public_url}/api/accounts/{account_id}/orders/{order_id}"
    return xml_response(_xml(root), 201, headers={"Location": location})


def get_order(sandbox: Sandbox, account_id: str, order_id: str) -> Response:
    """GET /api/accounts/{accountId}/orders/{id}: COMPLETE (or PARTIAL/FAILED) with numbers."""
    doc: dict[str, Any] | None = sandbox.store.get_document("orders", order_id)
    if not doc or doc["accountId"] != account_id:
        return _error("OrderResponse", 404, 5003, f"Order '{order_id}' was not found")
    root = ET.Element("OrderResponse")
    _sub(root, "CompletedQuantity", len(doc["completed"]))
    _sub(root, "CreatedByUser", sandbox.config.username)
    _sub(root, "LastModifiedDate", doc["created"])
    _sub(root, "OrderCompleteDate", doc["created"])
    root.append(ET.fromstring(doc["order"]))  # noqa: S314 (our own serialization)
    _sub(root, "OrderStatus", doc["status"])
    if doc["completed"]:
        completed = _sub(root, "CompletedNumbers")
        for number in doc["completed"]:
            _sub(_sub(completed, "TelephoneNumber"), "FullNumber", ten_digits(number))
    _sub(root, "FailedQuantity", len(doc["failed"]))
    if doc["failed"]:
        errors = _sub(root, "ErrorList")
        for number in doc["failed"]:
            error = _sub(errors, "Error")
            _sub(error, "Code", 5005)
            _sub(error, "Description", f"Telephone number {ten_digits(number)} is not available")
            _sub(error, "TelephoneNumber", ten_digits(number))
    return xml_response(_xml(root))

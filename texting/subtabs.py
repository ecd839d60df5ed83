"""What a contact's or a matter's Communications subtab shows (C2), for their views."""

from typing import Any

from accounts.models import Firm, User
from contacts.models import Contact
from matters.models import Matter

from . import selectors

PAGE_SIZE = 25


def subtab_context(
    *,
    firm: Firm,
    user: User,
    page: str | None,
    contact: Contact | None = None,
    matter: Matter | None = None,
) -> dict[str, Any]:
    """The threads visible there, newest first with the user's unread counts, and the
    people one can text from there: the contact, or the matter's client and its related
    contacts."""
    page_obj = selectors.conversation_page(
        firm=firm, user=user, number=page, per_page=PAGE_SIZE, contact=contact, matter=matter
    )
    if matter is not None:
        related = [link.contact for link in matter.related_contacts.select_related("contact")]
        textable = [matter.client, *related]
    else:
        textable = [contact] if contact is not None else []
    return {"page_obj": page_obj, "textable": textable, "query": ""}

"""Factories for texting rows; children take their parent's firm.

For states the pipeline reaches (delivered, failed with a reason), tests that are not about
the pipeline itself may build rows directly; pipeline tests go through the services.
"""

import factory
from django.utils import timezone

from common.tests.factories import FirmOwnedFactory
from contacts.tests.factories import ContactFactory, PhoneNumberFactory
from texting.models import Conversation, Message, preview_of


class ConversationFactory(FirmOwnedFactory):
    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)
    firm = factory.SelfAttribute("contact.firm")
    last_message_at = factory.LazyFunction(timezone.now)
    last_outbound_at = factory.SelfAttribute("last_message_at")


class MessageFactory(FirmOwnedFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    firm = factory.SelfAttribute("conversation.firm")
    direction = Message.Direction.OUTBOUND
    body = factory.Faker("sentence")
    status = Message.Status.DELIVERED
    from_e164 = "+18445550100"
    to_e164 = "+12025550143"
    provider_message_id = factory.Sequence(lambda n: f"{1720000000000 + n}factoryfactoryfa")


def texting_contact(firm, number: str = "+12025550143", **kwargs):  # type: ignore[no-untyped-def]
    """A contact of `firm` whose texting number is `number`."""
    contact = ContactFactory(firm=firm, **kwargs)
    PhoneNumberFactory(contact=contact, number_e164=number, texting=True)
    return contact


def stored_attachment(message, filename: str, content_type: str, content: bytes, position=0):  # type: ignore[no-untyped-def]
    """An accepted attachment of `message` with its file saved in the default storage."""
    from django.core.files.base import ContentFile

    from texting.models import MessageMedia

    media = MessageMedia(
        firm=message.firm,
        message=message,
        position=position,
        accepted=True,
        metadata={"filename": filename, "content_type": content_type, "size": len(content)},
    )
    media.file.save(filename, ContentFile(content), save=False)
    media.save()
    return media


def last_message_set(message) -> None:  # type: ignore[no-untyped-def]
    """Make `message` its conversation's last one, with the preview the services keep."""
    Conversation.objects.filter(id=message.conversation_id).update(
        last_message=message,
        last_message_at=message.created_at,
        last_message_direction=message.direction,
        last_message_preview=preview_of(message.body),
    )

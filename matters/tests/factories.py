"""Factories for matters. Children take the firm of their parent, so a factory never builds a
cross-firm graph by accident: MatterFactory(client=contact) or MatterFactory(client__firm=firm).
"""

from typing import Any

import factory

from common.tests.factories import FirmOwnedFactory
from contacts.tests.factories import ContactFactory
from matters.models import Document, Folder, Matter, MatterRelatedContact


class _SameFirmFactory(FirmOwnedFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        firm = kwargs["firm"]
        for name in ("client", "contact", "matter", "parent", "folder"):
            related = kwargs.get(name)
            if related is not None and related.firm_id != firm.id:
                raise ValueError(f"{cls.__name__}: {name} belongs to another firm.")
        return super()._create(model_class, *args, **kwargs)


class MatterFactory(_SameFirmFactory):
    class Meta:
        model = Matter

    client = factory.SubFactory(ContactFactory)
    firm = factory.SelfAttribute("client.firm")
    number = None
    display_number = factory.Sequence(lambda n: f"F-{n:05d}")
    description = factory.Faker("sentence", nb_words=4)
    status = Matter.Status.OPEN


class MatterRelatedContactFactory(_SameFirmFactory):
    class Meta:
        model = MatterRelatedContact

    matter = factory.SubFactory(MatterFactory)
    firm = factory.SelfAttribute("matter.firm")
    contact = factory.SubFactory(ContactFactory, firm=factory.SelfAttribute("..firm"))
    relationship = "Spouse"


class FolderFactory(_SameFirmFactory):
    class Meta:
        model = Folder

    matter = factory.SubFactory(MatterFactory)
    firm = factory.SelfAttribute("matter.firm")
    parent = None
    name = factory.Sequence(lambda n: f"Folder {n}")


class DocumentFactory(_SameFirmFactory):
    class Meta:
        model = Document

    matter = factory.SubFactory(MatterFactory)
    firm = factory.SelfAttribute("matter.firm")
    folder = None
    name = factory.Sequence(lambda n: f"Document {n}.txt")
    file = factory.django.FileField(data=b"document body", filename="document.txt")
    content_type = "text/plain"
    size = factory.LazyAttribute(lambda o: o.file.size)


__all__ = [
    "ContactFactory",
    "DocumentFactory",
    "FolderFactory",
    "MatterFactory",
    "MatterRelatedContactFactory",
]

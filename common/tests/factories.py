"""The base factory for firm-owned rows: creates them outside any firm scope."""

from typing import Any

import factory
from django_scopes import scopes_disabled


class FirmOwnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)

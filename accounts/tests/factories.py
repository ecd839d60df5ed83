from typing import Any

import factory

from accounts.models import ApiToken, Firm, Membership, User
from accounts.resolution import token_hash
from common.tests.factories import FirmOwnedFactory

PASSWORD = "correct-horse-battery"


class FirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"Firm {n} LLP")
    plan = Firm.Plan.ESSENTIALS
    region = Firm.Region.NORTH_AMERICA


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            obj.save()


class MembershipFactory(FirmOwnedFactory):
    class Meta:
        model = Membership

    firm = factory.SubFactory(FirmFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STAFF


class ApiTokenFactory(FirmOwnedFactory):
    """A token whose raw value is `raw` (kept on the instance for the test to use)."""

    class Meta:
        model = ApiToken

    raw = factory.Sequence(lambda n: f"ft_test-token-{n:06d}-abcdefghijklmnop")
    user = factory.SubFactory(UserFactory)
    firm = factory.LazyAttribute(lambda o: o.user.membership.firm)
    name = "Test token"
    prefix = factory.LazyAttribute(lambda o: o.raw[:10])
    key_hash = factory.LazyAttribute(lambda o: token_hash(o.raw))
    scope = ApiToken.Scope.READ_WRITE

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Any:
        raw = kwargs.pop("raw")
        token = super()._create(model_class, *args, **kwargs)
        token.raw = raw
        return token

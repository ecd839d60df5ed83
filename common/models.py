"""The base every firm-owned model inherits: one mechanism for tenant isolation (T1).

`objects` is a django-scopes ScopedManager: a query made while no firm scope is active
raises ScopeError instead of silently reading every firm's rows. HTTP requests get their
scope from accounts.middleware.FirmMiddleware, tasks open `scope(firm=firm_id)` themselves.
"""

import uuid

from django.db import models
from django_scopes import ScopedManager


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class FirmOwnedQuerySet(models.QuerySet):
    def for_firm(self, firm: "models.Model | int") -> "FirmOwnedQuerySet":
        """The explicit filter STYLE.md asks for, on top of the scope's implicit one."""
        return self.filter(firm=firm)


class FirmOwned(TimestampedModel):
    """A row that belongs to exactly one firm; reached from outside by its `uuid` only."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    firm = models.ForeignKey("accounts.Firm", on_delete=models.PROTECT, related_name="+")

    objects = ScopedManager(
        firm="firm", _manager_class=models.Manager.from_queryset(FirmOwnedQuerySet)
    )

    class Meta:
        abstract = True

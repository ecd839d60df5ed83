"""Re-encrypt every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS (C1).

Put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, then
run this. Rows already under the newest key are skipped, so an interrupted run resumes
where it stopped when run again. When it reports nothing left, the old keys can go.

Each firm whose rows were re-encrypted gets one "Encryption keys rotated" audit event (by
"system") with the count, also when the run stops part-way: committed batches stay rotated.
"""

from collections import Counter
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from tqdm import tqdm

# common already imports accounts (common.api); a command is an adapter and may call a
# service of any app, as accounts' own commands do.
from accounts.audit import audit_record
from accounts.models import AuditEvent, Firm
from common.crypto import DecryptionError, is_current, rotate_token
from common.fields import EncryptedJSONField, EncryptedTextField

if TYPE_CHECKING:
    from django.db.models import Field


def encrypted_columns() -> list[tuple[type[Model], "Field[Any, Any]"]]:
    """Every (model, field) pair stored encrypted, across all installed apps."""
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, (EncryptedTextField, EncryptedJSONField))
    ]


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value under the newest FIELD_ENCRYPTION_KEYS key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        total_rotated = 0
        per_firm: Counter[int] = Counter()
        try:
            for model, field in encrypted_columns():
                total_rotated += self._rotate_column(model, field, batch_size, per_firm)
        finally:
            self._audit(per_firm)
        self.stdout.write(f"Re-encrypted {total_rotated} value(s) under the newest key.")

    def _audit(self, per_firm: Counter[int]) -> None:
        firms = Firm.objects.in_bulk([firm_id for firm_id, count in per_firm.items() if count])
        for firm_id, firm in sorted(firms.items()):
            audit_record(
                firm=firm,
                actor=None,
                action=AuditEvent.Action.ENCRYPTION_KEYS_ROTATED,
                details={"rows_reencrypted": per_firm[firm_id]},
            )

    def _rotate_column(
        self,
        model: type[Model],
        field: "Field[Any, Any]",
        batch_size: int,
        per_firm: Counter[int],
    ) -> int:
        # Raw SQL on purpose: the ORM would decrypt on read, and we rotate the tokens as they
        # are, keyset-paginated by primary key so memory stays flat on any table size.
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk = connection.ops.quote_name(model._meta.pk.column)  # type: ignore[union-attr]
        # Every encrypted table is firm-owned today; one that is not is rotated unaudited.
        has_firm = any(f.column == "firm_id" for f in model._meta.concrete_fields)
        firm_column = connection.ops.quote_name("firm_id") if has_firm else "NULL"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
            (count,) = cursor.fetchone()
        rotated = 0
        last_pk: Any = None
        label = f"{model._meta.label}.{field.name}"
        with tqdm(total=count, desc=label, unit="row", file=self.stderr._out) as bar:
            while True:
                where = f"{column} IS NOT NULL" + (f" AND {pk} > %s" if last_pk is not None else "")
                params = [last_pk] if last_pk is not None else []
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {pk}, {column}, {firm_column} FROM {table} "  # noqa: S608
                        f"WHERE {where} "
                        f"ORDER BY {pk} LIMIT {int(batch_size)}",
                        params,
                    )
                    rows = cursor.fetchall()
                if not rows:
                    break
                updates = []
                firm_ids: Counter[int] = Counter()
                for row_pk, token, firm_id in rows:
                    if is_current(token):
                        continue
                    if firm_id is not None:
                        firm_ids[firm_id] += 1
                    try:
                        updates.append((rotate_token(token), row_pk))
                    except DecryptionError:
                        raise DecryptionError(
                            f"{label} row {row_pk} cannot be decrypted with any configured key; "
                            "nothing after it was changed."
                        ) from None
                if updates:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.executemany(
                            f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                            updates,
                        )
                    per_firm.update(firm_ids)  # only once the batch committed
                rotated += len(updates)
                last_pk = rows[-1][0]
                bar.update(len(rows))
        return rotated

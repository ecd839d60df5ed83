"""Re-encrypt every encrypted column under the newest key of FIELD_ENCRYPTION_KEYS (C1).

Put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), deploy, then
run this. Rows already under the newest key are skipped, so an interrupted run resumes
where it stopped when run again. When it reports nothing left, the old keys can go.
"""

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import Model
from tqdm import tqdm

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
        for model, field in encrypted_columns():
            total_rotated += self._rotate_column(model, field, batch_size)
        self.stdout.write(f"Re-encrypted {total_rotated} value(s) under the newest key.")

    def _rotate_column(self, model: type[Model], field: "Field[Any, Any]", batch_size: int) -> int:
        # Raw SQL on purpose: the ORM would decrypt on read, and we rotate the tokens as they
        # are, keyset-paginated by primary key so memory stays flat on any table size.
        table = connection.ops.quote_name(model._meta.db_table)
        column = connection.ops.quote_name(field.column)
        pk = connection.ops.quote_name(model._meta.pk.column)  # type: ignore[union-attr]
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
                        f"SELECT {pk}, {column} FROM {table} WHERE {where} "  # noqa: S608
                        f"ORDER BY {pk} LIMIT {int(batch_size)}",
                        params,
                    )
                    rows = cursor.fetchall()
                if not rows:
                    break
                updates = []
                for row_pk, token in rows:
                    if is_current(token):
                        continue
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
                rotated += len(updates)
                last_pk = rows[-1][0]
                bar.update(len(rows))
        return rotated

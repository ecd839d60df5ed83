"""Trigram indexes for finding a conversation by part of a name or number (C3).

`sort_name LIKE '%garcia%'` cannot use a B-tree index, so without these every search reads
every contact of every firm. pg_trgm's GIN indexes turn it into an index scan. Only on
PostgreSQL: a GIN index does not exist on SQLite (the embedded default), which keeps
scanning, fine at its size; so the indexes are not in the models' Meta. pg_trgm is a
trusted extension: the database's owner may create it.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "contact_sort_name_trgm": ("contacts_contact", "sort_name"),
    "phone_number_e164_trgm": ("contacts_phonenumber", "number_e164"),
}


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({column} gin_trgm_ops)"
        )


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(indexes_create, indexes_drop),
    ]

"""Existing cases get their search bigrams, then (PostgreSQL only) the GIN index the list's `q` reads.

Non-atomic (the pattern of mediation 0005 and docs/deploy.md "Upgrades"): the backfill walks pk
ranges committing each batch (no transaction holding every row of a province's table), and the
index is built CONCURRENTLY (no write lock). SQLite has no tsvector: it keeps the icontains
fallback and gets no index. The index lives in the database only (no model state: an expression
index on to_tsvector could not be declared in Meta without breaking SQLite)."""

from django.db import migrations, transaction

BATCH = 2000
INDEX_NAME = "cases_search_gin"


def fill(apps, schema_editor):
    from fangtiao.cases.search import case_search_text

    Case = apps.get_model("cases", "Case")
    db = schema_editor.connection.alias
    last = 0
    while True:
        rows = list(Case.objects.using(db).filter(pk__gt=last).order_by("pk")
                    .values_list("pk", "number", "title", "description")[:BATCH])
        if not rows:
            break
        with transaction.atomic(using=db):
            objs = [Case(pk=pk, search_text=case_search_text(number, title, description))
                    for pk, number, title, description in rows]
            Case.objects.using(db).bulk_update(objs, ["search_text"], batch_size=500)
        last = rows[-1][0]


def _index():
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector("search_text", config="simple"), name=INDEX_NAME)


def add_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("cases", "Case"), _index(), concurrently=True)


def remove_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("cases", "Case"), _index(), concurrently=True)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('cases', '0007_case_search_text'),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]

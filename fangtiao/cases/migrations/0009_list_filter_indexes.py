"""Indexes for the case-list filters that had none in the list's order (issue 8): the cases a unit
holds, newest first (`holder_unit`, the 本单位办理 list), and the rated cases (`evaluation=rated` /
`satisfied`: a partial index on the few rows with a satisfaction, so the filter does not walk every
case looking for them). Each filter of the list is checked with EXPLAIN (ANALYZE, BUFFERS) at 1M
cases in docs/benchmarks.md "Scale-out (issue 8)".

Built CONCURRENTLY on PostgreSQL (no write lock on a province's cases during an upgrade; a
concurrent build cannot run in a transaction, hence atomic = False), plainly on SQLite — the
pattern of mediation 0005 and docs/deploy.md "Upgrades"."""

from django.db import migrations, models

INDEXES = [
    models.Index(fields=["holder_unit", "-received_at"], name="cases_holder_received"),
    models.Index(condition=~models.Q(("satisfaction", "")), fields=["-received_at"], name="cases_rated_received"),
]


def forwards(apps, schema_editor):
    model = apps.get_model("cases", "case")
    for index in INDEXES:
        schema_editor.add_index(model, index, **({"concurrently": True}
                                                 if schema_editor.connection.vendor == "postgresql" else {}))


def backwards(apps, schema_editor):
    model = apps.get_model("cases", "case")
    for index in INDEXES:
        schema_editor.remove_index(model, index, **({"concurrently": True}
                                                    if schema_editor.connection.vendor == "postgresql" else {}))


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("cases", "0008_case_search_fill_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="case", index=i) for i in INDEXES],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]

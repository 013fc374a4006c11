"""Indexes for the periods the statistics, the case-list filters and the subsidies read.

Built CONCURRENTLY on PostgreSQL (no write lock on a province's tables during an upgrade; a
concurrent build cannot run in a transaction, hence atomic = False), plainly on SQLite — the
pattern of docs/deploy.md "Upgrades"."""

from django.db import migrations, models

INDEXES = [
    ("backlogrecord", models.Index(fields=["marked_on"], name="mediation_backlog_marked")),
    ("confirmation", models.Index(condition=models.Q(("result", "confirmed")), fields=["decided_on"],
                                  name="mediation_confirmed_on")),
    ("mediation", models.Index(condition=models.Q(("status__in", ["agreed", "failed"])), fields=["ended_on"],
                               name="mediation_concluded_on")),
]


def forwards(apps, schema_editor):
    concurrent = schema_editor.connection.vendor == "postgresql"
    for model_name, index in INDEXES:
        model = apps.get_model("mediation", model_name)
        if concurrent:
            schema_editor.add_index(model, index, concurrently=True)
        else:
            schema_editor.add_index(model, index)


def backwards(apps, schema_editor):
    concurrent = schema_editor.connection.vendor == "postgresql"
    for model_name, index in INDEXES:
        model = apps.get_model("mediation", model_name)
        if concurrent:
            schema_editor.remove_index(model, index, concurrently=True)
        else:
            schema_editor.remove_index(model, index)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("mediation", "0004_agreement_special_procedure"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name=m, index=i) for m, i in INDEXES],
            database_operations=[migrations.RunPython(forwards, backwards)],
        ),
    ]

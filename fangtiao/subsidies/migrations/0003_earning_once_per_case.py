"""A case earns one subsidy, not one per kind: a backlog case resolved by a successful mediation was
paid twice (积案化解 ¥1000 + 调解成功 ¥200). The live-earning constraint moves from (case, kind) to
(case).

Existing databases: a case that already holds two live earnings (one of each kind) cannot be fixed by
a migration — one of them may be in an approved or paid sheet. The check below names those cases and
stops; cancel the prepared sheets concerned (and prepare them again after migrating), settle the
approved or paid ones by hand, then migrate again. Reversing restores the weaker (case, kind) constraint, which every row satisfies."""

from django.db import migrations, models
from django.db.models import Count, Q


def check_no_case_earns_twice(apps, schema_editor):
    Earning = apps.get_model("subsidies", "Earning")
    twice = list(Earning.objects.filter(cancelled=False).values("case_id").annotate(n=Count("id"))
                 .filter(n__gt=1).values_list("case_id", flat=True)[:20])
    if twice:
        raise RuntimeError(
            "subsidies 0003: these cases hold more than one live earning (积案化解 and 调解成功): "
            f"{twice}. Cancel the prepared sheets holding them (prepare them again afterwards), settle approved "
            "or paid ones by hand, then migrate again.")


class Migration(migrations.Migration):
    dependencies = [("subsidies", "0002_default_rule")]

    operations = [
        migrations.RunPython(check_no_case_earns_twice, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="earning", name="subsidy_earning_once"),
        migrations.AddConstraint(
            model_name="earning",
            constraint=models.UniqueConstraint(condition=Q(cancelled=False), fields=("case",),
                                               name="subsidy_earning_once_per_case"),
        ),
    ]

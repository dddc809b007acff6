from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0003_register.sql").read_text()

# The two shipped regimes. The numbers are legal facts, kept as data so a jurist can correct
# them in the admin without a code change.
PRESETS = [
    {
        "code": "ma-plan-amenagement",
        "name_fr": "Plan d'aménagement (Maroc, loi 12-90)",
        "name_ar": "تصميم التهيئة (المغرب، القانون 12-90)",
        # DOMAIN.md: an inquiry of one month, run alongside the councils' deliberation [check];
        # no notice period or extension found in the texts we have, so none is imposed.
        "notice_days": 0,
        "min_duration_days": 30,
        "max_duration_days": 31,
        "max_extension_days": 0,
        "legal_basis": "Loi 12-90 relative à l'urbanisme; décret 2-92-832 [à vérifier]",
    },
    {
        "code": "fr-enquete-numerique",
        "name_fr": "Enquête publique dématérialisée (modèle français)",
        "name_ar": "بحث عمومي رقمي (النموذج الفرنسي)",
        "notice_days": 15,
        "min_duration_days": 30,
        "max_duration_days": None,
        "max_extension_days": 15,
        "legal_basis": "Ordonnance 2016-1060; décret 2017-626",
    },
]


def add_presets(apps, schema_editor):
    Regime = apps.get_model("inquiry", "Regime")
    for preset in PRESETS:
        Regime.objects.update_or_create(code=preset["code"], defaults=preset)


class Migration(migrations.Migration):
    dependencies = [
        ("inquiry", "0002_register"),
        ("publish", "0003_layer_state"),
        ("territory", "0001_initial"),
        ("planning", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(SQL, migrations.RunSQL.noop),
        migrations.RunPython(add_presets, migrations.RunPython.noop),
    ]

from pathlib import Path

from django.conf import settings
from django.db import migrations, models

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def grant_reader(apps, schema_editor):
    """Let the read-only role (tiles, OGC API) read the new view."""
    role = schema_editor.quote_name(settings.READER_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON publish.indicator_latest TO {role}")


class Migration(migrations.Migration):
    dependencies = [("watch", "0004_publish_grid_cells")]

    operations = [
        migrations.AddIndex(
            model_name="indicatorvalue",
            index=models.Index(fields=["level", "unit_code"], name="watch_value_unit_idx"),
        ),
        migrations.RunSQL(
            (SQL_DIR / "0005_publish_indicator_latest.sql").read_text(),
            "DROP VIEW IF EXISTS publish.indicator_latest;"
            " DROP TRIGGER IF EXISTS bump_indicators ON territory_commune;"
            " DROP TRIGGER IF EXISTS bump_indicators ON territory_district;",
        ),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]

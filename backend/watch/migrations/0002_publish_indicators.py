from pathlib import Path

from django.conf import settings
from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def grant_reader(apps, schema_editor):
    """Let the read-only role read the new views (and nothing else of watch)."""
    role = schema_editor.quote_name(settings.READER_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON publish.indicators, publish.indicator_values TO {role}")


class Migration(migrations.Migration):
    dependencies = [
        ("watch", "0001_initial"),
        ("publish", "0004_plan_documents"),
        ("territory", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "0002_publish_indicators.sql").read_text(),
            "DROP VIEW IF EXISTS publish.indicator_values; DROP VIEW IF EXISTS publish.indicators;"
            " DROP TRIGGER IF EXISTS bump ON watch_indicatorvalue;"
            " DROP TRIGGER IF EXISTS bump ON watch_indicator;"
            " DELETE FROM publish.layer_version WHERE layer = 'indicators';",
        ),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]

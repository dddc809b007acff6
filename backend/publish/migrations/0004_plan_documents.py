from pathlib import Path

from django.conf import settings
from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def grant_reader(apps, schema_editor):
    """The catalogue view is public: the read-only role may read it (and nothing behind it)."""
    role = schema_editor.quote_name(settings.READER_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"GRANT SELECT ON publish.plan_documents TO {role}")


class Migration(migrations.Migration):
    dependencies = [
        ("publish", "0003_layer_state"),
    ]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "0004_plan_documents.sql").read_text(),
            "DROP VIEW IF EXISTS publish.plan_documents",
        ),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]

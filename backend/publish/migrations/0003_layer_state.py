from pathlib import Path

from django.conf import settings
from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def grant_reader(apps, schema_editor):
    """Let the read-only role call publish.layer_state(), which the tile cache keys on."""
    role = schema_editor.quote_name(settings.READER_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"GRANT EXECUTE ON FUNCTION publish.layer_state() TO {role}")


class Migration(migrations.Migration):
    dependencies = [
        ("publish", "0002_initial"),
        ("inquiry", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "0003_layer_state.sql").read_text(),
            "DROP FUNCTION IF EXISTS publish.layer_state()",
        ),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]

from pathlib import Path

from django.conf import settings
from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def grant_reader(apps, schema_editor):
    """Create the read-only role if missing and let it read the publish schema, nothing else."""
    role = schema_editor.quote_name(settings.READER_ROLE)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [settings.READER_ROLE])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {role} LOGIN NOINHERIT")
        if settings.READER_PASSWORD:
            cursor.execute(f"ALTER ROLE {role} PASSWORD %s", [settings.READER_PASSWORD])
        cursor.execute(f"GRANT USAGE ON SCHEMA publish TO {role}")
        cursor.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA publish TO {role}")
        cursor.execute(
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA publish GRANT SELECT ON TABLES TO {role}"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("territory", "0001_initial"),
        ("planning", "0001_initial"),
        ("inquiry", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL((SQL_DIR / "0001_publish.sql").read_text(), migrations.RunSQL.noop),
        migrations.RunPython(grant_reader, migrations.RunPython.noop),
    ]

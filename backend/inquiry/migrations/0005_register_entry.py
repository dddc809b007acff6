from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "0005_register_entry.sql").read_text()


class Migration(migrations.Migration):
    dependencies = [("inquiry", "0004_pending_observation")]

    operations = [
        migrations.RunSQL(SQL, reverse_sql="DROP FUNCTION IF EXISTS inquiry_register_entry"),
    ]

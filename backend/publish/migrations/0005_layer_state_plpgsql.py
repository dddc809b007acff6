from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    """publish.layer_state() in PL/pgSQL (same result, its plan kept): CREATE OR REPLACE keeps
    the owner and the reader's EXECUTE grant of 0003."""

    dependencies = [
        ("publish", "0004_plan_documents"),
    ]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "0005_layer_state_plpgsql.sql").read_text(),
            # Back to 0003's SQL function (its file also revokes PUBLIC, as before).
            (SQL_DIR / "0003_layer_state.sql").read_text(),
        ),
    ]

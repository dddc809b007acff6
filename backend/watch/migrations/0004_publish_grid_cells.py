from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


class Migration(migrations.Migration):
    dependencies = [("watch", "0003_grid_cells")]

    operations = [
        migrations.RunSQL(
            (SQL_DIR / "0004_publish_grid_cells.sql").read_text(),
            # Back: the view of 0002, without the cells.
            "CREATE OR REPLACE VIEW publish.indicator_values AS"
            + (SQL_DIR / "0002_publish_indicators.sql")
            .read_text()
            .split("CREATE VIEW publish.indicator_values AS")[1],
        ),
    ]

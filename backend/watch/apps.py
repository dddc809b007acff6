from django.apps import AppConfig


class WatchConfig(AppConfig):
    """Urban watch: indicators, their values per unit and period, disparity analyses."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "watch"
    verbose_name = "Veille urbaine"

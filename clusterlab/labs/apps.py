"""App config for the lab runtime."""

from django.apps import AppConfig


class LabsConfig(AppConfig):
    """The ``labs`` app."""

    name = "clusterlab.labs"
    label = "labs"
    verbose_name = "Labs"
    default_auto_field = "django.db.models.BigAutoField"

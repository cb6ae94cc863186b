from django.apps import AppConfig


class ReelmateConfig(AppConfig):
    """The project package as an app: shared management commands and templates."""

    name = "reelmate"
    verbose_name = "ReelMate"

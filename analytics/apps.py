from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"

    def ready(self) -> None:
        from analytics import signals  # noqa: F401  (shares each variant's video when its job completes)

from django.apps import AppConfig


class AiStudioConfig(AppConfig):
    name = "ai_studio"
    verbose_name = "AI Studio"

    def ready(self) -> None:
        from ai_studio import receivers, signals  # noqa: F401  (job events; the catalog cache invalidation)

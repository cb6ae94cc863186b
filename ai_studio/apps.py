from django.apps import AppConfig


class AiStudioConfig(AppConfig):
    name = "ai_studio"
    verbose_name = "AI Studio"

    def ready(self) -> None:
        from ai_studio import signals  # noqa: F401  (connects the catalog cache invalidation)

from django.apps import AppConfig


class AiStudioConfig(AppConfig):
    name = "ai_studio"
    verbose_name = "AI Studio"

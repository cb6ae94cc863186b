from django.apps import AppConfig


class AiStudioConfig(AppConfig):
    name = "ai_studio"
    verbose_name = "AI Studio"

    def ready(self) -> None:
        from ai_studio import live, receivers, signals  # noqa: F401  (job events; the catalog cache invalidation)
        from ai_studio.events import job_changed
        from reelmate.live import register

        # Live status: every job change goes to its owner's WebSocket / SSE subscribers.
        register(live.JOB_STREAM)
        job_changed.connect(live.publish_job_change, dispatch_uid="ai_studio.live.publish_job_change")

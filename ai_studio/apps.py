from django.apps import AppConfig


class AiStudioConfig(AppConfig):
    name = "ai_studio"
    verbose_name = "AI Studio"

    def ready(self) -> None:
        from ai_studio import live, receivers, signals  # noqa: F401  (job events; the catalog cache invalidation)
        from ai_studio.events import batch_changed, job_changed
        from reelmate.live import register

        # Live status: every job and batch change goes to its owner's WebSocket / SSE subscribers.
        register(live.JOB_STREAM)
        register(live.BATCH_STREAM)
        job_changed.connect(live.publish_job_change, dispatch_uid="ai_studio.live.publish_job_change")
        batch_changed.connect(live.publish_batch_change, dispatch_uid="ai_studio.live.publish_batch_change")

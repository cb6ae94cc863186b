"""Make a fresh install usable: the starter catalog, a demo staff user, optionally a first reel."""
from __future__ import annotations

import time

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

from accounts.models import User
from ai_studio.models import JobStatus, VideoGenerationJob
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from ai_studio.services.demo import queue_demo_reel

DEMO_EMAIL = "demo@reelmate.local"
DEMO_PASSWORD = "reelmate-demo-2026"


class Command(BaseCommand):
    help = "Load the starter catalog and create the demo staff user (idempotent; development only)."

    def add_arguments(self, parser):
        parser.add_argument("--queue-demo-reel", action="store_true",
                            help="also queue a first generation job for the demo user")
        parser.add_argument("--port", type=int, default=settings.PORT)

    def handle(self, *args, queue_demo_reel: bool, port: int, **options):
        if not settings.DEBUG:
            raise CommandError("bootstrap_demo creates a user with a published password: DEBUG only.")
        if queue_demo_reel:
            self._queue_demo_reel(port)
            return
        call_command("seed_catalog", verbosity=options["verbosity"])
        user = self._demo_user()
        self.stdout.write(self.style.SUCCESS(
            f"Demo staff user: {user.email} / {DEMO_PASSWORD}  (admin and API login)"))

    def _demo_user(self):
        user, _ = User.objects.get_or_create(email=DEMO_EMAIL, defaults={"name": "Demo Marketer"})
        user.is_staff = user.is_superuser = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    def _queue_demo_reel(self, port: int) -> None:
        """Queue the demo reel, wait for the worker, copy the MP4 to var/demo-reel.mp4."""
        job = queue_demo_reel(self._demo_user())
        self.stdout.write(f"Demo reel queued (job {job.id}); the worker is rendering it...")
        deadline = time.monotonic() + 600
        while job.status in (JobStatus.QUEUED, JobStatus.PROCESSING) and time.monotonic() < deadline:
            time.sleep(1)
            job = VideoGenerationJob.objects.select_related("video").get(pk=job.pk)
        if job.status != JobStatus.COMPLETED:
            self.stderr.write(f"The demo reel is {job.status}: {job.error_message or 'see the worker log'}")
            return
        target = DjangoStorageArtifactStore().download(job.video.video_key, settings.VAR_DIR / "demo-reel.mp4")
        self.stdout.write(self.style.SUCCESS(
            f"Demo reel ready: {target} ({job.video.duration_seconds:.1f} s, rendered in {job.total_seconds:.1f} s). "
            f"API: http://localhost:{port}/api/ai-studio/generated-videos/{job.video.pk}"))

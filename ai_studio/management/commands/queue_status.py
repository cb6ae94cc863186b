"""`manage.py queue_status`: the render queue's autoscaling signals as one line of JSON (for a cron job,
a sidecar or an autoscaler's external metric), the same as GET /api/ai-studio/queue-status."""
import json

from django.core.management.base import BaseCommand

from ai_studio.selectors.queue import queue_status


class Command(BaseCommand):
    help = "Print the render queue's counts (held, released_waiting, processing, users_waiting, render_queue_depth)."

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(queue_status()))

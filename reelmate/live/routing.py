"""WebSocket routes (reelmate.asgi mounts them next to Django's HTTP application)."""
from django.urls import re_path

from reelmate.live.consumers import LiveConsumer

websocket_urlpatterns = [
    re_path(r"^ws/live/?$", LiveConsumer.as_asgi()),
]

"""The ASGI application: Django for HTTP (API, admin, Server-Sent Events) and the live WebSocket.

Served by uvicorn (`make run`) or gunicorn with uvicorn workers (production, Dockerfile).
"""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reelmate.settings")
# A web process pools its database connections (see DB_POOL in settings).
os.environ.setdefault("DB_POOL", "true")
django.setup(set_prefix=False)  # as get_asgi_application() does, before the imports below

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from reelmate.asgi_pool import PooledASGIHandler  # noqa: E402
from reelmate.live import publishing  # noqa: E402
from reelmate.live.routing import websocket_urlpatterns  # noqa: E402

# Django's handler, but ordinary requests run on a fixed pool of threads instead of a new thread
# each (reelmate/asgi_pool.py: ~3 ms less server CPU per request).
django_application = PooledASGIHandler(threads=settings.ASGI_REQUEST_THREADS)

# Without Redis this process delivers the live events itself (the worker relays its own here).
publishing.server_process = True

# Static files in development, as runserver served them (admin, API docs); production serves
# collected files in front of the app.
http_application = ASGIStaticFilesHandler(django_application) if settings.DEBUG else django_application

# Browsers authenticate WebSockets with a token, not a cookie, so a cross-site page cannot ride on
# a user's session: any origin may connect (the frontend's is usually another one).
application = ProtocolTypeRouter({
    "http": http_application,
    "websocket": URLRouter(websocket_urlpatterns),
})

"""Keeps Django's middleware chain synchronous under ASGI: one thread hop per request, not dozens."""
from __future__ import annotations


class SynchronousChainMiddleware:
    """Listed last in MIDDLEWARE, so that it is the innermost middleware: it does nothing itself.

    Under ASGI, Django runs an async-capable middleware (every MiddlewareMixin: sessions, CSRF,
    auth...) asynchronously when the middleware inside it is async, and then calls each of its
    process_request/process_response hooks through sync_to_async: a switch to a thread and back for
    each hook, about 40 for one request with this project's middleware (bench/api.py: health/live cost
    ~3x the server CPU under ASGI as under WSGI). Django chooses the synchronous path for every
    middleware outside a sync-only one, so this sync-only class makes the whole chain run in one
    thread, as under WSGI; the view (sync) runs in that request's thread too.
    """

    sync_capable = True
    async_capable = False

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

"""Django's HTTP handler for ASGI, answering ordinary requests on a fixed pool of long-lived threads.

Django's own ASGIHandler wraps every request in asgiref's ThreadSensitiveContext, which starts a new
single-thread executor (a new thread) for that request, and then switches to it and back three
times (request_started, the middleware chain with the view, response.close). bench/api.py measured
that at ~3 ms of server CPU per request on this project's machines, health/live costing ~3x as much
under ASGI as under gunicorn's sync workers.

Here a request is read on the event loop (as Django does: the whole body, spooled to disk when
large), then ONE hop to a pool thread does what a WSGI worker does: request_started, the
synchronous middleware chain and view, and, for an ordinary response, response.close() (so
request_finished hands the thread's database connection back before the bytes go out). The loop
then sends the bytes. The pool's threads live as long as the process, as a WSGI worker's do.

What keeps Django's own path, unchanged:
- async views (the live relay, which publishes on this process's event loop): the URL is resolved
  first and an async view goes to ASGIHandler;
- streaming responses (Server-Sent Events, batch ZIP and CSV downloads, ranged media): the view
  runs in the pool, then the body is streamed as ASGIHandler streams it (in a
  ThreadSensitiveContext, stopped when the client disconnects), and closed after the last chunk —
  except that a synchronous stream is read one part at a time, where Django reads it whole first;
- WebSockets (channels' router in reelmate.asgi never sends them here).
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, ThreadSensitiveContext, iscoroutinefunction, sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import Resolver404, get_resolver, set_script_prefix


class _SyncChain(ASGIHandler):
    """ASGIHandler's request class and last-chance error page, with the synchronous middleware chain
    (as under WSGI). Only get_response() is used, from a pool thread."""

    def __init__(self):
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    def resolve_request(self, request):
        # The URL was resolved on the event loop (to tell async views apart): the same match, unless
        # a middleware gave the request a URLconf of its own. Resolving costs ~0.2 ms a request.
        known = request.__dict__.pop("_resolved_on_loop", None)
        if known is not None and not hasattr(request, "urlconf") and known[0] == request.path_info:
            request.resolver_match = known[1]
            return known[1]
        return super().resolve_request(request)


class PooledASGIHandler(ASGIHandler):
    """reelmate.asgi's HTTP application (see the module's docs); `threads` bounds the requests a
    process runs at once (each holds at most one pooled database connection: keep it at or under
    DB_POOL_MAX_SIZE, leaving room for SSE and the WebSocket consumers' queries)."""

    def __init__(self, threads: int):
        super().__init__()  # Django's async chain, for async views
        self.sync_chain = _SyncChain()
        self.threads = threads
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="http")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        resolved = self._resolve(scope)
        if resolved is not None and iscoroutinefunction(resolved[1].func):
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self.executor, self._respond, loop, scope, body_file, resolved)
        if response.streaming:
            async with ThreadSensitiveContext():
                if not response.is_async:
                    response.streaming_content = _one_part_at_a_time(response.streaming_content)
                await self._stream(response, receive, send)
        else:
            # Closed already in _respond: the content is bytes now.
            await self.send_response(response, send)

    @staticmethod
    def _resolve(scope):
        """(path_info, the URL's ResolverMatch) or None (no such URL: the view's thread answers 404)."""
        script_name = get_script_prefix(scope)  # the path_info ASGIRequest will have
        path_info = scope["path"].removeprefix(script_name) if script_name else scope["path"]
        try:
            return path_info, get_resolver().resolve(path_info)
        except Resolver404:
            return None

    def _respond(self, loop, scope, body_file, resolved=None):
        """In a pool thread: what a WSGI worker does with one request, up to the response's bytes."""
        # As in a sync_to_async thread: a view's async_to_sync(...) runs on the server's event loop
        # (the in-memory channel layer and its consumers live there), not on a new loop.
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        SyncToAsync.threadlocal.task_context = None
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=ASGIHandler, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
        else:
            if resolved is not None:
                request._resolved_on_loop = resolved  # see _SyncChain.resolve_request
            response = self.sync_chain.get_response(request)
            response._handler_class = ASGIHandler
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            # request_finished (the database connection back to its pool) and the request's files;
            # Django's handler does this after sending, which changes nothing the client sees.
            response.close()
        else:
            # The stream is sent, and closed, from another thread (_stream): the connection the view
            # used goes back to its pool now, not at this thread's next request.
            close_old_connections()
        return response

    async def _stream(self, response, receive, send):
        """ASGIHandler.handle's second half for a response the pool made: send it while listening
        for the client going away (which ends an endless event stream), then close it."""
        async def send_all():
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:
                pass  # the client disconnected during the send

        tasks = [asyncio.create_task(self.listen_for_disconnect(receive)), asyncio.create_task(send_all())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        await sync_to_async(response.close)()


_END = object()


async def _one_part_at_a_time(parts):
    """A synchronous stream (the batch ZIP, a file, a byte range) read part by part, each in the
    request's ThreadSensitiveContext thread (the generator and its database cursor stay in one
    thread). Django's ASGIHandler reads a synchronous stream whole into a list before sending
    the first byte: a batch's ZIP would sit in the web process's memory."""
    iterator = iter(parts)
    next_part = sync_to_async(next)
    while (part := await next_part(iterator, _END)) is not _END:
        yield part


def pool_thread_names() -> set[str]:
    """The names of the live threads that answer requests (for tests)."""
    return {thread.name for thread in threading.enumerate() if thread.name.startswith("http_")}

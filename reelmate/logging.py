"""Request ids on every log line: taken from X-Request-ID or made up, echoed in the response."""
from __future__ import annotations

import contextvars
import logging
import re
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str) -> contextvars.Token:
    """Used by Celery tasks to keep the id of the request that queued them."""
    return _request_id.set(value)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    header = "X-Request-ID"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(self.header, "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[self.header] = request_id
        return response


# --- Celery: a task logs with the id of the request that queued it ----------------------------
def attach_request_id(headers=None, **kwargs) -> None:
    """before_task_publish: carry the current request id in the message headers."""
    if headers is not None and "request_id" not in headers:
        headers["request_id"] = current_request_id()


def bind_task_request_id(task=None, **kwargs) -> None:
    """task_prerun: log the task's lines under the request id it was queued with."""
    incoming = getattr(task.request, "request_id", None) if task is not None else None
    _request_id.set(incoming if incoming and _VALID_REQUEST_ID.match(incoming) else "-")

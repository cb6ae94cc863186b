"""Circuit breakers: remember for a few seconds that a dependency is unreachable.

While Redis (or any peer) is down, every request would otherwise wait on its own connection
attempt. A breaker that saw a connection failure stays *open* for OUTAGE_RECHECK_SECONDS: callers
ask `is_open()` and take their fallback at once. After that window the next call tries the
dependency again; success closes the breaker. Each transition is logged once, not per call.

Breakers are per process (every web or worker process learns about an outage on its own) and
shared by the threads of a process, one per name: the kind of use and the server
(`breaker(f"cache at {location(url)}")`), so that two servers never share one.
"""
from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)


class CircuitBreaker:
    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._open_until = 0.0  # time.monotonic() before which the dependency is not tried
        self._down = False  # the last attempt failed (an outage is in progress)
        self.last_error = ""

    def is_open(self) -> bool:
        """True while a recent failure says: do not try, use the fallback."""
        return time.monotonic() < self._open_until

    @property
    def is_down(self) -> bool:
        """True from a failure until the next success (also after the open window has passed)."""
        return self._down

    def record_failure(self, error: BaseException) -> None:
        with self._lock:
            self._open_until = time.monotonic() + settings.OUTAGE_RECHECK_SECONDS
            self.last_error = f"{type(error).__name__}: {error}"[:300]
            if self._down:
                return
            self._down = True
        logger.warning("%s unreachable; degrading until it answers again (%s)", self.name, self.last_error)

    def record_success(self) -> None:
        if not self._down:  # the common case: no lock
            return
        with self._lock:
            if not self._down:
                return
            self._down, self._open_until, self.last_error = False, 0.0, ""
        logger.warning("%s reachable again; back to normal", self.name)


_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def breaker(name: str) -> CircuitBreaker:
    """The process-wide breaker for `name` (created on first use)."""
    with _registry_lock:
        return _breakers.setdefault(name, CircuitBreaker(name))


def location(url: str) -> str:
    """`url` without its credentials, to name a server in breakers and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"

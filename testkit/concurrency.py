"""Racing the database: the same call from several threads at once, each on its own connection."""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def run_at_once(call: Callable[[int], T], count: int) -> list[T]:
    """`call(i)` for i in range(count), each in its own thread, released together by a barrier; the
    results in order. An exception in a thread is raised here. Each thread closes its own database
    connection (tests that use this need ``django_db(transaction=True)``: threads commit on their own)."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        try:
            barrier.wait()
            return call(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))

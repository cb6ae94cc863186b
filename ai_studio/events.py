"""Domain events of generation jobs, for whoever reacts to them (live status, webhooks, batches).

`job_changed` is sent, after the change has committed, with ``job_id``, ``owner_id`` and ``kind``:

- ``queued``     submitted, retried, or sent back to the queue after a transient failure;
- ``started``    a worker claimed it (also when a worker resumes a job whose worker died);
- ``progress``   the pipeline reported a stage and its progress;
- ``completed``  it finished and its video exists;
- ``failed`` / ``canceled``  it reached that final status.

Senders are the services that make the change (``services.jobs`` on the web side,
``services.execution`` on the worker), so the event leaves the worker the moment the pipeline
reports it. A receiver must be quick and must not break the job: errors are logged and dropped.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

job_changed = Signal()

QUEUED, STARTED, PROGRESS, COMPLETED, FAILED, CANCELED = (
    "queued", "started", "progress", "completed", "failed", "canceled")
FINAL_KINDS = frozenset({COMPLETED, FAILED, CANCELED})


def _send(job_id, owner_id, kind: str) -> None:
    for receiver, result in job_changed.send_robust(sender=None, job_id=job_id, owner_id=owner_id, kind=kind):
        if isinstance(result, Exception):
            logger.error("a job event receiver failed", exc_info=result,
                         extra={"job_id": str(job_id), "kind": kind, "receiver": getattr(receiver, "__qualname__", "")})


def job_changed_on_commit(job_id, owner_id, kind: str) -> None:
    """Send `job_changed` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send(job_id, owner_id, kind))

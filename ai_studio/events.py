"""Domain events of generation jobs, for whoever reacts to them (live status, webhooks, batches).

`job_changed` is sent, after the change has committed, with ``job_id``, ``owner_id`` and ``kind``:

- ``queued``     submitted, retried, or sent back to the queue after a transient failure;
- ``started``    a worker claimed it (also when a worker resumes a job whose worker died);
- ``progress``   the pipeline reported a stage and its progress;
- ``completed``  it finished and its video exists;
- ``failed`` / ``canceled``  it reached that final status.

`batch_changed` is sent, after commit, with ``batch_id``, ``owner_id`` and ``kind``:

- ``created``    the batch and its jobs were queued;
- ``progress``   one of its jobs reached a final status (counts changed), or failed jobs were retried;
- ``completed``  its last unfinished job reached a final status: sent exactly once per time the batch
  finishes (a retry of failed jobs reopens it, and it completes again);
- ``canceled``   the user (or staff) canceled it.

`job_outcome` is sent *inside* the transaction that records a job's completion or failure (its
video and charge included), with ``job_id``, ``owner_id`` and ``kind`` (``completed`` or ``failed``):
for what must exist exactly when the outcome does, such as the webhook deliveries announcing it — a
worker killed right after the commit loses nothing. Its receivers run in one savepoint: a receiver
that fails is logged, and a failed statement rolls back the receivers' writes, never the job's
outcome (a receiver keeps its own writes apart with its own ``transaction.atomic()``).

`batch_outcome` is its batch twin: sent inside the transaction that marks a batch finished, with
``batch_id``, ``owner_id`` and ``kind`` (``completed``), in a savepoint likewise — the
``batch.completed`` webhook commits with the finish, so a process dying right after it loses nothing
(the dispatcher's safety net only finishes batches not yet marked).

Senders are the services that make the change (``services.jobs`` on the web side,
``services.execution`` on the worker), so the event leaves the worker the moment the pipeline
reports it. A receiver must be quick and must not break the job: errors are logged and dropped.
"""
from __future__ import annotations

import logging

from django.db import DatabaseError, transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

job_changed = Signal()

QUEUED, STARTED, PROGRESS, COMPLETED, FAILED, CANCELED = (
    "queued", "started", "progress", "completed", "failed", "canceled")
FINAL_KINDS = frozenset({COMPLETED, FAILED, CANCELED})

job_outcome = Signal()

batch_changed = Signal()
batch_outcome = Signal()

BATCH_CREATED, BATCH_PROGRESS, BATCH_COMPLETED, BATCH_CANCELED = "created", "progress", "completed", "canceled"


def _send(job_id, owner_id, kind: str) -> None:
    for receiver, result in job_changed.send_robust(sender=None, job_id=job_id, owner_id=owner_id, kind=kind):
        if isinstance(result, Exception):
            _log_failed_receiver(receiver, result, {"job_id": str(job_id), "kind": kind})


def _send_batch(batch_id, owner_id, kind: str) -> None:
    for receiver, result in batch_changed.send_robust(sender=None, batch_id=batch_id, owner_id=owner_id, kind=kind):
        if isinstance(result, Exception):
            _log_failed_receiver(receiver, result, {"batch_id": str(batch_id), "kind": kind})


def job_changed_on_commit(job_id, owner_id, kind: str) -> None:
    """Send `job_changed` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send(job_id, owner_id, kind))


def batch_changed_on_commit(batch_id, owner_id, kind: str) -> None:
    """Send `batch_changed` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: _send_batch(batch_id, owner_id, kind))


def job_outcome_in_transaction(job_id, owner_id, kind: str) -> None:
    """Send `job_outcome` now, in the caller's transaction; the receivers' writes in a savepoint."""
    _send_in_savepoint(job_outcome, {"job_id": str(job_id), "kind": kind}, job_id=job_id, owner_id=owner_id, kind=kind)


def batch_outcome_in_transaction(batch_id, owner_id, kind: str) -> None:
    """Send `batch_outcome` now, in the caller's transaction; the receivers' writes in a savepoint."""
    _send_in_savepoint(batch_outcome, {"batch_id": str(batch_id), "kind": kind},
                       batch_id=batch_id, owner_id=owner_id, kind=kind)


def _send_in_savepoint(signal: Signal, log_extra: dict, **arguments) -> None:
    try:
        with transaction.atomic():
            for receiver, result in signal.send_robust(sender=None, **arguments):
                if isinstance(result, Exception):
                    _log_failed_receiver(receiver, result, log_extra)
    except DatabaseError as error:  # a receiver's failed statement: its savepoint is rolled back
        _log_failed_receiver(None, error, log_extra)


def _log_failed_receiver(receiver, error: BaseException, log_extra: dict) -> None:
    subject = "batch" if "batch_id" in log_extra else "job"
    logger.error(f"a {subject} event receiver failed", exc_info=error,
                 extra={**log_extra, "receiver": getattr(receiver, "__qualname__", "")})

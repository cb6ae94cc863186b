"""Variant groups: one brief rendered several ways, submitted together, all or nothing.

A group is submitted as a batch (``GenerationBatch``, one row per variant in variant order), so
its progress, live events, ``batch.completed`` webhook, cancel, retry-failed and ZIP download are
the batch's. Its variants are ordinary generation jobs made by `jobs.submit_job`, one per variant, in
one transaction: the plan is checked for the whole group first (`admit_group`: n more jobs at
once, their minutes together), and if any variant is refused nothing is created and nothing is
queued (`submit_job` sends its job to the broker only once the transaction commits).
Each variant's share link is made by ``analytics`` when its job completes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from ai_studio.events import BATCH_CREATED, batch_changed_on_commit
from ai_studio.models import GenerationBatch, Variant, VariantGroup
from ai_studio.selectors.usage import periods_at, usage_counts
from ai_studio.services import jobs, quotas
from ai_studio.writing.templates import split_script
from reelmate.errors import Conflict, QuotaExceeded

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VariantSpec:
    """One variant, validated: its label, what it changes, and its job's fields (as `submit_job` takes them)."""

    label: str
    overrides: dict
    fields: dict


def base_pieces(base: dict) -> tuple[str, str, str]:
    """(hook, body, call to action) of a group's base: as given, or split from its script."""
    if base.get("script"):
        return split_script(base["script"], base.get("call_to_action", ""))
    return base.get("hook", ""), base.get("body", ""), base.get("call_to_action", "")


def variant_script(base: dict, overrides: dict) -> str:
    """What a variant says: its own script; else the base with its hook (if it gives one) in front."""
    if overrides.get("script"):
        return overrides["script"]
    if not overrides.get("hook") and base.get("script"):
        return base["script"]
    hook, body, call_to_action = base_pieces(base)
    return " ".join(piece.strip() for piece in (overrides.get("hook") or hook, body, call_to_action) if piece.strip())


@dataclass
class GroupSubmission:
    group: VariantGroup
    created: bool  # False when an Idempotency-Key replay returned the existing group


def submit_variant_group(*, owner, campaign, name: str, base: dict, settings: dict, variants: list[VariantSpec],
                         idempotency_key: str | None = None, fingerprint: str = "") -> GroupSubmission:
    """Create the group and one queued job per variant, or nothing (QuotaExceeded names the limit).

    With an Idempotency-Key, as for `jobs.submit_job`: the same key and body return the first group
    (never refused by a limit, not charged again); the same key with another body is a Conflict.
    """
    if idempotency_key:
        existing = _find(owner, idempotency_key)
        if existing is not None:
            return GroupSubmission(_replay(existing, fingerprint), created=False)
    try:
        with transaction.atomic():
            limits = quotas.lock_limits(owner)
            # The plan's lock serialises this owner's submissions: a request with the same key that
            # held it first has committed its group by now, and this one is its replay.
            existing = _find(owner, idempotency_key) if idempotency_key else None
            if existing is not None:
                return GroupSubmission(_replay(existing, fingerprint), created=False)
            admit_group(owner, limits, variants)
            batch = GenerationBatch.objects.create(owner=owner, name=name[:200], campaign=campaign, settings=settings,
                                                   script=variant_script(base, {}), total_jobs=len(variants))
            group = VariantGroup.objects.create(owner=owner, campaign=campaign, name=name, base=base,
                                                settings=settings, batch=batch, idempotency_key=idempotency_key or None,
                                                request_fingerprint=fingerprint)
            for position, spec in enumerate(variants):
                submission = jobs.submit_job(owner=owner, fields=spec.fields | {"batch": batch, "batch_row": position},
                                             idempotency_key=None,
                                             fingerprint=jobs.request_fingerprint({"variant_group": group.pk,
                                                                                   "position": position}))
                Variant.objects.create(group=group, position=position, label=spec.label, overrides=spec.overrides,
                                       job=submission.job)
            batch_changed_on_commit(batch.pk, owner.id, BATCH_CREATED)
    except IntegrityError:
        existing = _find(owner, idempotency_key) if idempotency_key else None
        if existing is None:
            raise
        return GroupSubmission(_replay(existing, fingerprint), created=False)
    logger.info("variant group queued", extra={"group_id": group.pk, "owner_id": owner.id, "variants": len(variants)})
    return GroupSubmission(group, created=True)


def _find(owner, key: str) -> VariantGroup | None:
    return VariantGroup.objects.filter(owner=owner, idempotency_key=key).first()


def _replay(existing: VariantGroup, fingerprint: str) -> VariantGroup:
    if existing.request_fingerprint != fingerprint:
        raise Conflict("This Idempotency-Key was already used with a different request body.",
                       code="idempotency_key_reused")
    return existing


def admit_group(owner, limits, variants: list[VariantSpec]) -> None:
    """Check the whole group against the plan: each script's length, then n more active jobs and jobs
    today, and the minutes of all its videos together. Call after `quotas.lock_limits` (which
    serialises this owner's submissions). Raises QuotaExceeded (``extra``: ``limit``, ``variants``)."""
    count = len(variants)
    for spec in variants:
        script = spec.fields["script"]
        if limits.script_characters is not None and len(script) > limits.script_characters:
            raise _exceeded("script_characters", count, f"Variant {spec.label}'s script is {len(script)} characters; "
                                                        f"your plan allows {limits.script_characters}.")
    now = timezone.now()
    periods, counts = periods_at(now), usage_counts(owner, periods_at(now))
    if limits.concurrent_jobs is not None and counts.active_jobs + count > limits.concurrent_jobs:
        waiting_helps = count <= limits.concurrent_jobs
        raise _exceeded("concurrent_jobs", count, (
            f"This group needs {count} jobs at once; you have {counts.active_jobs} queued or processing and your "
            f"plan allows {limits.concurrent_jobs} at a time."
            + (" Try again when enough have finished." if waiting_helps else " Make a smaller group.")),
            retry_after=quotas.CONCURRENT_RETRY_AFTER_SECONDS if waiting_helps else None)
    if limits.jobs_per_day is not None and counts.jobs_today + count > limits.jobs_per_day:
        raise _exceeded("jobs_per_day", count, (
            f"This group needs {count} jobs; you have made {counts.jobs_today} today and your plan allows "
            f"{limits.jobs_per_day} a day (UTC)."),
            retry_after=(periods.day_end - now).total_seconds() if count <= limits.jobs_per_day else None)
    if limits.video_minutes_per_month is not None:
        allowed = limits.video_minutes_per_month * 60
        needed = sum(quotas.estimated_seconds(quotas.Run(
            script=spec.fields["script"], voice=spec.fields["voice"], speed=spec.fields.get("speed", 1.0),
            end_card=spec.fields.get("end_card") or {})) for spec in variants)
        if counts.seconds_this_month + needed > allowed:
            left = max(allowed - counts.seconds_this_month, 0)
            raise _exceeded("video_minutes_per_month", count, (
                f"This group's {count} videos need about {needed / 60:.1f} minute(s); {left / 60:.1f} of your plan's "
                f"{limits.video_minutes_per_month} minutes this month (UTC) are left."),
                retry_after=(periods.month_end - now).total_seconds() if needed <= allowed else None)


def _exceeded(limit: str, count: int, message: str, *, retry_after: float | None = None) -> QuotaExceeded:
    return QuotaExceeded(f"{message} No variant was queued.", retry_after=retry_after,
                         extra={"limit": limit, "variants": count})

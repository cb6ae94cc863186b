"""Reads of generation jobs and videos. Owner scoping for the API comes from OwnerScopedViewSet."""
from __future__ import annotations

from django.db.models import QuerySet

from ai_studio.models import GeneratedVideo, VideoGenerationJob


def jobs_with_relations() -> QuerySet[VideoGenerationJob]:
    # `video` is the reverse one-to-one: select it too, so a page of jobs costs one query. The API
    # shows the other relations by id only (avatar_id...): joining them would only cost.
    return VideoGenerationJob.objects.select_related("video")


def videos_with_relations() -> QuerySet[GeneratedVideo]:
    # The API shows the job and the campaign by id: nothing to join.
    return GeneratedVideo.objects.all()


def find_job_by_idempotency_key(owner, key: str) -> VideoGenerationJob | None:
    return VideoGenerationJob.objects.filter(owner=owner, idempotency_key=key).first()

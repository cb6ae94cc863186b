"""Variant groups without the API: a group whose variants' jobs are done (or not), for reports and admin tests."""
from __future__ import annotations

import factory

from accounts.tests.factories import UserFactory
from ai_studio.models import JobStatus, Variant, VariantGroup
from ai_studio.tests.catalog.factories import GeneratedVideoFactory, GenerationJobFactory


class VariantGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VariantGroup

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Hook test {n}")
    base = factory.LazyFunction(lambda: {"hook": "Dry feet, every mile.", "body": "TrailFlex.",
                                         "call_to_action": "Shop."})


def group_with_variants(*, owner, campaign=None, labels=("A", "B"), completed=True, duration_seconds=20.0,
                        **group_fields) -> tuple[VariantGroup, list]:
    """A group of `owner`'s with one variant per label; with `completed`, each job is done and has its
    video (`duration_seconds` long). Returns the group and its videos (None where not completed)."""
    group = VariantGroupFactory(owner=owner, campaign=campaign, **group_fields)
    videos = []
    for position, label in enumerate(labels):
        job = GenerationJobFactory(owner=owner, campaign=campaign, title=f"{group.name} · {label}",
                                   status=JobStatus.COMPLETED if completed else JobStatus.QUEUED)
        Variant.objects.create(group=group, position=position, label=label, overrides={"hook": f"Hook {label}."},
                               job=job)
        videos.append(GeneratedVideoFactory(owner=owner, campaign=campaign, job=job, title=job.title,
                                            duration_seconds=duration_seconds) if completed else None)
    return group, videos

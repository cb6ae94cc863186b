"""Analytics' own factory flavours, built on the shared catalog/campaign factories."""
from __future__ import annotations

import factory
from django.utils import timezone

from ai_studio.models import JobStatus
from ai_studio.tests.catalog import factories as catalog_factories
from analytics.models import ShareLink
from campaigns.tests import factories as campaign_factories


class CampaignFactory(campaign_factories.CampaignFactory):
    call_to_action = "Shop the drop"
    call_to_action_url = "https://shop.example.com/drop"
    brand_primary_color = "#112233"


class JobFactory(catalog_factories.GenerationJobFactory):
    """A job as the pipeline leaves it; pass `status`, `total_seconds`, `stage_timings`..."""

    script = "Meet the new trail shoe."
    status = JobStatus.COMPLETED
    speech_provider = "local"
    started_at = factory.LazyFunction(timezone.now)
    completed_at = factory.LazyFunction(timezone.now)


class GeneratedVideoFactory(catalog_factories.GeneratedVideoFactory):
    """A 20-second video row; its storage keys point nowhere unless the test uploads files."""

    duration_seconds = 20.0


class ShareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareLink

    video = factory.SubFactory(GeneratedVideoFactory)

import factory

from accounts.tests.factories import UserFactory
from campaigns.models import Campaign, Objective, Platform


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")
    description = "Spring collection push."
    objective = Objective.AWARENESS
    platforms = factory.LazyFunction(lambda: [Platform.TIKTOK.value, Platform.INSTAGRAM_REELS.value])
    target_audience = "Runners aged 25-40"
    call_to_action = "Shop now"
    brand_primary_color = "#FF5A1F"
    tags = factory.LazyFunction(lambda: ["spring"])


"""Fixtures for the script writer's API: a campaign with a full brief, the fake OpenAI server as the
writer (fast retries), and model answers that pass the checks."""
import json

import pytest

from ai_studio.seeding.starter_catalog import TEMPLATES
from ai_studio.services import templates as template_services
from campaigns.tests.factories import CampaignFactory

HOOKS = [
    "Wet socks on mile three? Not anymore.",
    "What if your shoes stayed dry all day?",
    "Trail runners, this one is for you.",
    "Puddles used to end my runs early.",
    "Here is the shoe rain simply can't beat.",
]
BODY = "TrailFlex 2 keeps your feet dry on any trail, with a grip that holds on wet rock."
CTA = "Tap the link and shop the drop today."


def drafts_answer(count: int = 3, *, body: str = BODY) -> dict:
    """A model answer of ``count`` variants of about 32 words: within the budget of a 10 s video."""
    return {"variants": [{"hook": hook, "body": body, "call_to_action": CTA} for hook in HOOKS[:count]]}


def data_sent(request) -> dict:
    """The JSON document of a recorded chat request's data message (the one after the instructions)."""
    return json.loads(request.json["messages"][1]["content"])


@pytest.fixture
def writer(openai_server, settings):
    """The fake OpenAI server as the language model, retrying after milliseconds instead of seconds."""
    settings.SCRIPT_WRITER_RETRY_BASE_SECONDS = 0.01
    settings.SCRIPT_WRITER_RETRY_MAX_SECONDS = 0.02
    return openai_server


@pytest.fixture
def campaign(user):
    return CampaignFactory(
        owner=user, brand_name="Stride", product_name="TrailFlex 2", key_benefit="dry feet on any trail",
        product_description="A waterproof trail running shoe with a grippy sole.", target_audience="trail runners",
        call_to_action="Shop the drop today.", objective="conversions", platforms=["tiktok"],
        brand_voice="playful, confident",
    )


@pytest.fixture
def system_templates(db):
    return [template_services.create_template(owner=None, **spec) for spec in TEMPLATES]

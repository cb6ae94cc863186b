import pytest
from django.core.files.base import ContentFile

from ai_studio.services.catalog import set_avatar_portrait
from ai_studio.tests.catalog import uploads
from ai_studio.tests.catalog.factories import AvatarFactory


@pytest.fixture
def avatar_with_portrait(db):
    avatar = AvatarFactory(name="Portrait Pat")
    set_avatar_portrait(avatar, ContentFile(uploads.image_bytes(size=(600, 800)), name="pat.png"))
    return avatar

"""Lip-synced avatars: staff upload a rig (checked), see its preview; the API says which avatars lip-sync."""

import functools
import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image, ImageDraw

from ai_studio.generation.rig import Rig, RigError, read_rig, rig_zip_bytes
from ai_studio.generation.visemes import SHAPES
from ai_studio.management.commands import seed_catalog
from ai_studio.models import AIAvatar
from ai_studio.seeding import starter_catalog as starter
from ai_studio.seeding.portraits import rig_zip
from ai_studio.services.catalog import set_avatar_portrait, set_avatar_rig
from ai_studio.tests.catalog import uploads
from ai_studio.tests.catalog.factories import AvatarFactory

pytestmark = pytest.mark.django_db

BASE_SIZE = (240, 320)
SPRITE_SIZE = (60, 30)


# --- building rigs ------------------------------------------------------------------------------
def sprite(size=SPRITE_SIZE, color=(150, 40, 60, 255), mode="RGBA") -> Image.Image:
    """A mouth-like sprite: an opaque ellipse on a transparent background."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((2, 2, size[0] - 3, size[1] - 3), fill=color)
    return image if mode == "RGBA" else image.convert(mode)


def make_rig(color=(224, 172, 105)) -> Rig:
    mouths = {shape: sprite(color=(120 + 10 * i, 30, 60, 255)) for i, shape in enumerate(SHAPES)}
    eyes = {"closed": sprite((120, 24), (200, 150, 90, 255)), "half": sprite((120, 24), (210, 160, 95, 255))}
    return Rig(
        base=Image.new("RGBA", BASE_SIZE, (*color, 255)),
        mouths=mouths,
        mouth_anchor=(120, 230),
        eyes=eyes,
        eyes_anchor=(120, 140),
    )


def png_bytes(image: Image.Image, format="PNG") -> bytes:
    output = io.BytesIO()
    image.save(output, format)
    return output.getvalue()


def rebuild(data: bytes, *, drop=(), replace=None) -> bytes:
    """The rig ZIP ``data`` with some members dropped or replaced."""
    replace = replace or {}
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(output, "w") as target:
        for name in source.namelist():
            if name not in drop:
                target.writestr(name, replace.get(name, source.read(name)))
    return output.getvalue()


def rig_upload(data: bytes | None = None, name="nova-rig.zip") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, rig_zip_bytes(make_rig()) if data is None else data, content_type="application/zip")


# --- admin ----------------------------------------------------------------------------------------
@pytest.fixture
def rigged_avatar():
    avatar = AvatarFactory(name="Rigged Rae")
    set_avatar_rig(avatar, ContentFile(rig_zip_bytes(make_rig()), name="rae.zip"))
    return avatar


def avatar_form(**overrides):
    return {
        "name": "Nova",
        "slug": "nova",
        "description": "",
        "is_active": "on",
        "sort_order": 5,
        "gender": "female",
        "age_range": "25-34",
        "style": "casual",
        "tags": '["saas"]',
        "framing": "center",
        "background_color": "#101820",
        "default_voice": "",
    } | overrides


def form_errors(response) -> dict:
    return response.context["adminform"].form.errors


def stored_rig_files() -> set[str]:
    directories, files = default_storage.listdir("catalog/rigs/")
    previews = default_storage.listdir("catalog/rigs/previews/")[1] if "previews" in directories else []
    return set(files) | set(previews)


def test_uploading_a_rig_stores_it_with_its_preview_and_its_base_as_the_portrait(staff_browser):
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(rig=rig_upload()))
    assert response.status_code == 302, form_errors(response)
    avatar = AIAvatar.objects.get(slug="nova")
    assert avatar.rig.name.startswith("catalog/rigs/") and avatar.rig.name.endswith(".zip")
    assert "nova-rig" not in avatar.rig.name  # never the client's name
    with default_storage.open(avatar.rig.name) as stored:
        rig = read_rig(io.BytesIO(stored.read()))
    assert set(rig.mouths) == set(SHAPES) and rig.blinks
    with default_storage.open(avatar.rig_preview.name) as stored:
        assert Image.open(stored).format == "PNG"
    with default_storage.open(avatar.portrait.name) as stored:
        portrait = Image.open(stored)
        assert (portrait.format, portrait.size) == ("PNG", BASE_SIZE)
    assert default_storage.exists(avatar.portrait_thumbnail.name)


def test_the_change_page_previews_every_mouth_shape(staff_browser, rigged_avatar):
    page = staff_browser.get(f"/admin/ai_studio/aiavatar/{rigged_avatar.pk}/change/").content.decode()
    assert "Lip sync rig" in page
    assert '<img src="' in page and 'alt="Every mouth shape of Rigged Rae"' in page
    assert rigged_avatar.rig_preview.name.rsplit("/", 1)[1] in page  # the presigned URL of the sheet
    assert "mouth/&lt;shape&gt;.png" in page and "<code>mbp</code>" in page  # the layout help


def test_an_avatar_without_a_rig_says_how_its_mouth_moves(staff_browser):
    avatar = AvatarFactory()
    page = staff_browser.get(f"/admin/ai_studio/aiavatar/{avatar.pk}/change/").content.decode()
    assert "No rig: this avatar&#x27;s mouth moves with the voice&#x27;s loudness." in page


def test_a_rig_can_be_added_on_the_change_page_and_replaces_the_portrait(
    staff_browser, django_capture_on_commit_callbacks
):
    avatar = AvatarFactory(slug="nova")
    set_avatar_portrait(avatar, ContentFile(uploads.image_bytes(size=(600, 800)), name="old.png"))
    old_portrait = avatar.portrait.name
    form = avatar_form(rig=rig_upload(), default_voice=avatar.default_voice_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_browser.post(f"/admin/ai_studio/aiavatar/{avatar.pk}/change/", form)
    assert response.status_code == 302, form_errors(response)
    avatar.refresh_from_db()
    assert avatar.rig and avatar.rig_preview and avatar.portrait.name != old_portrait
    assert not default_storage.exists(old_portrait)


def test_the_list_shows_and_filters_which_avatars_lip_sync(staff_browser, rigged_avatar):
    AvatarFactory(name="Plain Pia")
    page = staff_browser.get("/admin/ai_studio/aiavatar/").content.decode()
    assert "Rigged Rae" in page and "Plain Pia" in page and "icon-yes" in page and "icon-no" in page
    page = staff_browser.get("/admin/ai_studio/aiavatar/", {"has_rig": "yes"}).content.decode()
    assert "Rigged Rae" in page and "Plain Pia" not in page
    page = staff_browser.get("/admin/ai_studio/aiavatar/", {"has_rig": "no"}).content.decode()
    assert "Rigged Rae" not in page and "Plain Pia" in page


GOOD = rig_zip_bytes(make_rig())


@pytest.mark.parametrize(
    "data, messages",
    [
        pytest.param(
            rebuild(GOOD, drop=["mouth/fv.png"]), ["Mouth shape 'fv' is missing (mouth/fv.png)."], id="missing shape"
        ),
        pytest.param(rebuild(GOOD, drop=["mouth/fv.png", "mouth/th.png"]), ["'fv'", "'th'"], id="two missing shapes"),
        pytest.param(
            rebuild(GOOD, replace={"mouth/a.png": png_bytes(sprite((80, 40)))}),
            ["Every mouth sprite must have the same size", "a 80x40"],
            id="size mismatch",
        ),
        pytest.param(
            rebuild(GOOD, replace={"mouth/o.png": png_bytes(sprite(mode="RGB"), "JPEG")}),
            ["Mouth shape 'o' (mouth/o.png) is JPEG, not a PNG."],
            id="JPEG named .png",
        ),
        pytest.param(
            rebuild(GOOD, replace={"mouth/e.png": png_bytes(sprite(mode="RGB"))}),
            ["(mouth/e.png) has no transparency"],
            id="sprite without alpha",
        ),
        pytest.param(rebuild(GOOD, drop=["rig.json"]), ["rig.json is missing"], id="no anchors"),
        pytest.param(uploads.image_bytes(), ["not a ZIP file"], id="not a ZIP"),
    ],
)
def test_unusable_rigs_are_form_errors_and_nothing_is_stored(staff_browser, data, messages):
    before = stored_rig_files()
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(rig=rig_upload(data)))
    assert response.status_code == 200
    errors = " ".join(form_errors(response)["rig"])
    for message in messages:
        assert message in errors
    assert not AIAvatar.objects.filter(slug="nova").exists()
    assert stored_rig_files() == before


def test_each_problem_is_its_own_error(staff_browser):
    data = rebuild(GOOD, drop=["mouth/fv.png"], replace={"mouth/e.png": png_bytes(sprite(mode="RGB"))})
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(rig=rig_upload(data)))
    assert len(form_errors(response)["rig"]) == 2


def test_a_bad_rig_leaves_the_avatar_as_it_was(staff_browser, rigged_avatar):
    before = (rigged_avatar.rig.name, rigged_avatar.rig_preview.name, rigged_avatar.portrait.name)
    form = avatar_form(
        name="Renamed",
        slug=rigged_avatar.slug,
        default_voice=rigged_avatar.default_voice_id,
        rig=rig_upload(rebuild(GOOD, drop=["mouth/l.png"])),
    )
    response = staff_browser.post(f"/admin/ai_studio/aiavatar/{rigged_avatar.pk}/change/", form)
    assert "'l'" in " ".join(form_errors(response)["rig"])
    rigged_avatar.refresh_from_db()
    assert rigged_avatar.name == "Rigged Rae"
    assert (rigged_avatar.rig.name, rigged_avatar.rig_preview.name, rigged_avatar.portrait.name) == before


def test_an_oversized_rig_is_a_form_error(staff_browser, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1000
    response = staff_browser.post("/admin/ai_studio/aiavatar/add/", avatar_form(rig=rig_upload()))
    assert "the limit is 1,000 bytes" in form_errors(response)["rig"][0]


def test_a_portrait_and_a_rig_at_once_are_refused(staff_browser):
    response = staff_browser.post(
        "/admin/ai_studio/aiavatar/add/", avatar_form(rig=rig_upload(), portrait=uploads.png_upload(size=(600, 800)))
    )
    assert response.status_code == 200
    assert "one at a time" in form_errors(response)["portrait"][0]
    assert not AIAvatar.objects.filter(slug="nova").exists()


def test_uploading_a_plain_portrait_in_the_admin_removes_the_rig(
    staff_browser, rigged_avatar, django_capture_on_commit_callbacks
):
    old = [rigged_avatar.rig.name, rigged_avatar.rig_preview.name]
    form = avatar_form(
        name="Rae",
        slug=rigged_avatar.slug,
        default_voice=rigged_avatar.default_voice_id,
        portrait=uploads.png_upload(size=(300, 400)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_browser.post(f"/admin/ai_studio/aiavatar/{rigged_avatar.pk}/change/", form)
    assert response.status_code == 302, form_errors(response)
    rigged_avatar.refresh_from_db()
    assert (rigged_avatar.rig.name, rigged_avatar.rig_preview.name) == ("", "")
    assert rigged_avatar.portrait
    assert not any(default_storage.exists(name) for name in old)


def test_clearing_the_rig_in_the_admin_keeps_the_portrait(
    staff_browser, rigged_avatar, django_capture_on_commit_callbacks
):
    portrait, rig = rigged_avatar.portrait.name, rigged_avatar.rig.name
    form = avatar_form(
        name="Rae", slug=rigged_avatar.slug, default_voice=rigged_avatar.default_voice_id, **{"rig-clear": "on"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_browser.post(f"/admin/ai_studio/aiavatar/{rigged_avatar.pk}/change/", form)
    assert response.status_code == 302, form_errors(response)
    rigged_avatar.refresh_from_db()
    assert (rigged_avatar.rig.name, rigged_avatar.rig_preview.name, rigged_avatar.portrait.name) == ("", "", portrait)
    assert not default_storage.exists(rig) and default_storage.exists(portrait)


# --- service ----------------------------------------------------------------------------------------
def test_replacing_a_rig_deletes_the_old_files(rigged_avatar, django_capture_on_commit_callbacks):
    old = [
        rigged_avatar.rig.name,
        rigged_avatar.rig_preview.name,
        rigged_avatar.portrait.name,
        rigged_avatar.portrait_thumbnail.name,
    ]
    with django_capture_on_commit_callbacks(execute=True):
        set_avatar_rig(rigged_avatar, ContentFile(rig_zip_bytes(make_rig(color=(90, 60, 40))), name="new.zip"))
    rigged_avatar.refresh_from_db()
    current = [
        rigged_avatar.rig.name,
        rigged_avatar.rig_preview.name,
        rigged_avatar.portrait.name,
        rigged_avatar.portrait_thumbnail.name,
    ]
    assert not set(current) & set(old)
    assert all(default_storage.exists(name) for name in current)
    assert not any(default_storage.exists(name) for name in old)
    with default_storage.open(rigged_avatar.portrait.name) as stored:
        assert Image.open(stored).convert("RGB").getpixel((5, 5)) == (90, 60, 40)  # the new rig's base


def test_a_new_portrait_removes_the_rig(rigged_avatar, django_capture_on_commit_callbacks):
    old = [rigged_avatar.rig.name, rigged_avatar.rig_preview.name]
    with django_capture_on_commit_callbacks(execute=True):
        set_avatar_portrait(rigged_avatar, ContentFile(uploads.image_bytes(size=(600, 800)), name="p.png"))
    rigged_avatar.refresh_from_db()
    assert not rigged_avatar.rig and not rigged_avatar.rig_preview and rigged_avatar.portrait
    assert not any(default_storage.exists(name) for name in old)


def test_an_invalid_rig_raises_and_changes_nothing(rigged_avatar):
    before = (rigged_avatar.rig.name, rigged_avatar.portrait.name)
    with pytest.raises(RigError) as error:
        set_avatar_rig(rigged_avatar, ContentFile(rebuild(GOOD, drop=["mouth/uw.png"]), name="bad.zip"))
    assert error.value.problems == ["Mouth shape 'uw' is missing (mouth/uw.png)."]
    rigged_avatar.refresh_from_db()
    assert (rigged_avatar.rig.name, rigged_avatar.portrait.name) == before


def test_deleting_an_avatar_deletes_its_rig_files(rigged_avatar, django_capture_on_commit_callbacks):
    names = [rigged_avatar.rig.name, rigged_avatar.rig_preview.name, rigged_avatar.portrait.name]
    with django_capture_on_commit_callbacks(execute=True):
        rigged_avatar.delete()
    assert not any(default_storage.exists(name) for name in names)


# --- API --------------------------------------------------------------------------------------------
def lip_sync_by_slug(client) -> dict[str, bool]:
    response = client.get("/api/ai-studio/avatars")
    assert response.status_code == 200, response.json()
    return {item["slug"]: item["lip_sync"] for item in response.json()["results"]}


def test_the_api_says_which_avatars_lip_sync(auth_client, rigged_avatar):
    AvatarFactory(slug="plain")
    assert lip_sync_by_slug(auth_client) == {rigged_avatar.slug: True, "plain": False}
    assert auth_client.get(f"/api/ai-studio/avatars/{rigged_avatar.pk}").json()["lip_sync"] is True


def test_adding_or_removing_a_rig_shows_in_the_cached_catalog_at_once(auth_client):
    avatar = AvatarFactory(slug="maya")
    assert lip_sync_by_slug(auth_client) == {"maya": False}
    set_avatar_rig(avatar, ContentFile(GOOD, name="maya.zip"))
    assert lip_sync_by_slug(auth_client) == {"maya": True}
    set_avatar_rig(avatar, None)
    assert lip_sync_by_slug(auth_client) == {"maya": False}


# --- starter catalog ------------------------------------------------------------------------------
@functools.cache
def drawn_rig_zip(style) -> bytes:
    return rig_zip(style)


@pytest.fixture(autouse=True)
def draw_each_rig_once(monkeypatch):
    """Drawing a rig takes most of a second: every seed in this module reuses the first drawing of each."""
    monkeypatch.setattr(seed_catalog, "rig_zip", drawn_rig_zip)


def seed(*args):
    call_command("seed_catalog", "--no-samples", *args, stdout=io.StringIO())


def test_every_starter_avatar_lip_syncs_with_a_valid_rig(auth_client):
    seed()
    avatars = list(AIAvatar.objects.all())
    assert len(avatars) == len(starter.AVATARS)
    for avatar in avatars:
        with default_storage.open(avatar.rig.name) as stored:
            rig = read_rig(io.BytesIO(stored.read()))
        assert set(rig.mouths) == set(SHAPES) and rig.blinks
        with default_storage.open(avatar.portrait.name) as stored:
            portrait = Image.open(stored)
            portrait.load()
        assert portrait.size == rig.base.size
        assert portrait.convert("RGB").tobytes() == rig.base.convert("RGB").tobytes()  # the portrait is the base
        assert default_storage.exists(avatar.rig_preview.name)
        assert default_storage.exists(avatar.portrait_thumbnail.name)
    assert set(lip_sync_by_slug(auth_client).values()) == {True}


def test_seeding_again_keeps_the_rigs_and_redrawing_replaces_them():
    seed()
    first = {a.slug: (a.rig.name, a.rig_preview.name, a.portrait.name) for a in AIAvatar.objects.all()}
    seed()
    assert {a.slug: (a.rig.name, a.rig_preview.name, a.portrait.name) for a in AIAvatar.objects.all()} == first
    seed("--redraw-portraits")
    redrawn = {a.slug: (a.rig.name, a.rig_preview.name, a.portrait.name) for a in AIAvatar.objects.all()}
    assert all(not set(redrawn[slug]) & set(first[slug]) for slug in first)


def test_seeding_gives_a_rig_to_a_starter_avatar_that_only_had_a_portrait():
    seed()
    avatar = AIAvatar.objects.get(slug=starter.AVATARS[0]["slug"])
    set_avatar_portrait(avatar, ContentFile(uploads.image_bytes(size=(600, 800)), name="p.png"))
    assert not avatar.rig
    seed()
    avatar.refresh_from_db()
    assert avatar.rig and avatar.rig_preview

"""The rig format: what read_rig accepts, what it refuses (every problem at once), and previews."""

import io
import json
import zipfile

import pytest
from PIL import Image, ImageDraw

from ai_studio.generation import rig as rig_module
from ai_studio.generation.rig import Rig, RigError, compose, preview_sheet, read_rig, rig_zip_bytes
from ai_studio.generation.visemes import SHAPES


def sprite(size, color) -> Image.Image:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((1, 1, size[0] - 2, size[1] - 2), fill=(*color, 255))
    return image


def a_rig(**overrides) -> Rig:
    fields = dict(
        base=Image.new("RGBA", (200, 260), (220, 170, 140, 255)),
        mouths={shape: sprite((50, 30), (20 * i, 40, 60)) for i, shape in enumerate(SHAPES)},
        mouth_anchor=(100, 190),
        eyes={"closed": sprite((90, 20), (200, 140, 110)), "half": sprite((90, 20), (210, 150, 120))},
        eyes_anchor=(100, 110),
    )
    return Rig(**{**fields, **overrides})


def zipped(members: dict[str, bytes]) -> io.BytesIO:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    output.seek(0)
    return output


def members_of(rig: Rig) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(rig_zip_bytes(rig))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def problems(source) -> list[str]:
    with pytest.raises(RigError) as raised:
        read_rig(source)
    assert raised.value.code == "avatar_rig_invalid"
    return raised.value.problems


def test_a_written_rig_reads_back_the_same():
    original = a_rig()

    again = read_rig(io.BytesIO(rig_zip_bytes(original)))

    assert again.mouth_anchor == (100, 190) and again.eyes_anchor == (100, 110)
    assert set(again.mouths) == set(SHAPES) and set(again.eyes) == {"closed", "half"}
    assert again.mouth_box() == (75, 175, 50, 30)
    assert again.mouths["a"].tobytes() == original.mouths["a"].tobytes()
    assert again.blinks


def test_a_rig_zipped_as_a_folder_with_archiver_clutter_is_accepted():
    members = {f"my-rig/{name}": data for name, data in members_of(a_rig()).items()}
    members |= {"__MACOSX/my-rig/._base.png": b"junk", "my-rig/.DS_Store": b"junk"}

    assert read_rig(zipped(members)).mouth_anchor == (100, 190)


def test_eyes_are_optional_and_a_rig_without_them_does_not_blink():
    rig = read_rig(io.BytesIO(rig_zip_bytes(a_rig(eyes={}, eyes_anchor=None))))

    assert not rig.blinks and rig.eyes_box() is None


def test_sprites_reaching_outside_the_base_or_overlapping_each_other_are_refused():
    outside = problems(io.BytesIO(rig_zip_bytes(a_rig(mouth_anchor=(190, 190)))))
    overlapping = problems(io.BytesIO(rig_zip_bytes(a_rig(eyes_anchor=(100, 180)))))

    assert any("reach outside the 200x260 base portrait" in p for p in outside)
    assert any("mouth and eyelid sprites overlap" in p for p in overlapping)


def test_unknown_files_a_newer_version_and_bad_anchors_are_each_reported():
    members = members_of(a_rig())
    members["rig.json"] = json.dumps({"version": 2, "mouth": {"x": "100", "y": 190}}).encode()
    members["notes.txt"] = b"hello"

    found = problems(zipped(members))

    assert any("Unexpected file 'notes.txt'" in p for p in found)
    assert any("version 2" in p for p in found)
    assert any('"mouth" must be {"x": <integer>, "y": <integer>}' in p for p in found)


def test_a_member_that_would_inflate_past_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(rig_module, "MAX_MEMBER_BYTES", 100)

    found = problems(io.BytesIO(rig_zip_bytes(a_rig())))

    assert any("base.png' is larger than" in p for p in found)


def test_a_file_that_is_not_a_zip_is_refused():
    assert problems(io.BytesIO(b"not a zip at all")) == ["The rig is not a ZIP file."]


def test_the_preview_shows_every_mouth_shape_and_eyelid_state_on_the_face():
    rig = a_rig()

    sheet = preview_sheet(rig)

    tiles = len(SHAPES) + 2
    rows = -(-tiles // rig_module.PREVIEW_COLUMNS)
    assert sheet.width == rig_module.PREVIEW_COLUMNS * rig_module.PREVIEW_TILE_WIDTH
    assert sheet.height > rows * 18
    closed = compose(rig, "rest", "closed")
    assert closed.getpixel((100, 110))[:3] == (200, 140, 110)
    assert compose(rig, "a").getpixel((100, 190))[:3] == (140, 40, 60)

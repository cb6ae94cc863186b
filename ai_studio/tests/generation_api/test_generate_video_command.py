"""`manage.py generate_video`: a reel from the command line, without the frontend or a worker."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from ai_studio.generation.captions import parse_vtt
from ai_studio.generation.ffmpeg import probe

pytestmark = pytest.mark.django_db


def test_the_cli_renders_a_reel_with_its_captions_and_thumbnail(avatar, voice, tmp_path):
    out = tmp_path / "reel.mp4"
    output = StringIO()
    call_command("generate_video", script="Hello from the command line.", avatar=avatar.slug, voice=voice.slug,
                 aspect="1:1", out=str(out), stdout=output, stderr=StringIO())
    info = probe(out)
    assert (info["video_codec"], info["width"], info["height"]) == ("h264", 720, 720)
    assert "real time" in output.getvalue()
    assert Image.open(out.with_suffix(".jpg")).size == (720, 720)
    assert "command" in " ".join(entry.text for entry in parse_vtt(out.with_suffix(".vtt").read_text()))


def test_the_cli_names_an_unknown_avatar(tmp_path):
    with pytest.raises(CommandError, match="nobody"):
        call_command("generate_video", script="Hi.", avatar="nobody", out=str(tmp_path / "x.mp4"))

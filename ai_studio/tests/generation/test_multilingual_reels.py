"""A translated script becomes a reel in its own language with the offline voices: real speech,
captions that say the script's words at monotonic times, and a lip-synced mouth."""

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.captions import parse_vtt
from ai_studio.generation.ffmpeg import probe
from ai_studio.generation.loudness import read_wav
from ai_studio.generation.pipeline import GenerationRequest, run_pipeline
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.generation.speech import get_provider
from ai_studio.generation.speech.local import LOCAL_VOICES
from ai_studio.generation.speech.text import script_words
from ai_studio.seeding.portraits import PortraitStyle, draw_portrait, draw_rig

STYLE = PortraitStyle(skin="#E0AC69", hair="#3D2314", hair_style="bun", clothing="#2A9D8F",
                      clothing_style="collar", background=("#F6D365", "#FDA085"))
# The same short script in each language, as a translation would give it (names and CTA kept).
REELS = [
    ("en_US-joe-medium", "Wet socks? Not with TrailFlex 2 from Stride. Shop now."),
    ("espeak:de", "Nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt kaufen."),
    ("espeak:es", "¿Calcetines mojados? No con TrailFlex 2 de Stride. Compra ya."),
    ("espeak:fr", "Des chaussettes mouillées ? Pas avec TrailFlex 2 de Stride. Achetez maintenant."),
]


@pytest.fixture(scope="module")
def portrait_and_rig(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("avatar")
    portrait, rig = folder / "portrait.png", folder / "rig.zip"
    draw_portrait(STYLE).save(portrait)
    rig.write_bytes(rig_zip_bytes(draw_rig(STYLE)))
    return portrait, rig


@pytest.mark.parametrize(("voice_id", "script"), REELS, ids=[voice for voice, _ in REELS])
def test_a_script_in_each_offline_language_becomes_a_captioned_lip_synced_reel(voice_id, script, tmp_path,
                                                                               portrait_and_rig):
    portrait, rig = portrait_and_rig
    language = LOCAL_VOICES[voice_id]["language"]
    request = GenerationRequest(script=script, voice_id=voice_id, portrait_path=portrait, rig_path=rig,
                                language=language)

    result = run_pipeline(request, workdir=tmp_path / "work", speech_provider=get_provider("local"),
                          store=DirectoryArtifactStore(tmp_path / "out"), key_prefix=f"reel-{language}")

    words = result.speech.words
    assert [word.text for word in words] == script_words(script)
    for word in words:
        assert 0 <= word.start <= word.end <= result.speech.duration
    for earlier, later in pairwise(words):
        assert earlier.end <= later.start
    cues = parse_vtt((tmp_path / "out" / result.keys["captions_vtt"]).read_text(encoding="utf-8"))
    assert " ".join(cue.text.replace("\n", " ") for cue in cues) == " ".join(script_words(script))
    assert all(earlier.end <= later.start for earlier, later in pairwise(cues))
    assert result.lip_sync in {"phonemes", "words"}
    samples, _ = read_wav(result.speech.audio_path)
    assert float(np.sqrt(np.mean(samples**2))) > 0.01  # speech, not silence
    video = probe(tmp_path / "out" / result.keys["video"])
    assert video["video_codec"] == "h264"
    assert video["duration"] == pytest.approx(result.speech.duration, abs=0.1)

"""The pipeline picks the avatar's animation: a rig lip-syncs on the voice's phonemes."""

from pathlib import Path

from ai_studio.generation.artifacts import DirectoryArtifactStore
from ai_studio.generation.ffmpeg import probe
from ai_studio.generation.pipeline import GenerationRequest, run_pipeline
from ai_studio.generation.rig import rig_zip_bytes
from ai_studio.generation.speech import get_provider
from ai_studio.seeding.portraits import PortraitStyle, draw_portrait, draw_rig

STYLE = PortraitStyle(
    skin="#C68642",
    hair="#1C1C1C",
    hair_style="curly",
    clothing="#6A4C93",
    clothing_style="hoodie",
    background=("#22223B", "#4A4E69"),
)


def run(tmp_path: Path, voice_id: str, rig: bool):
    portrait = tmp_path / "portrait.png"
    draw_portrait(STYLE).save(portrait)
    rig_path = None
    if rig:
        rig_path = tmp_path / "rig.zip"
        rig_path.write_bytes(rig_zip_bytes(draw_rig(STYLE)))
    request = GenerationRequest(
        script="Hello, big brave world!", voice_id=voice_id, portrait_path=portrait, rig_path=rig_path, language="en-US"
    )
    return run_pipeline(
        request,
        workdir=tmp_path / "work",
        speech_provider=get_provider("local"),
        store=DirectoryArtifactStore(tmp_path / "out"),
        key_prefix="reel",
    )


def test_a_rig_with_the_piper_voice_lip_syncs_on_its_exact_phonemes(tmp_path):
    result = run(tmp_path, "en_US-joe-medium", rig=True)

    assert result.lip_sync == "phonemes"
    assert probe(result.render.video_path)["video_codec"] == "h264"


def test_a_rig_with_an_espeak_voice_lip_syncs_on_phonemes_spread_over_its_words(tmp_path):
    assert run(tmp_path, "espeak:en-us", rig=True).lip_sync == "words"


def test_without_a_rig_no_phonemes_are_needed(tmp_path):
    assert run(tmp_path, "en_US-joe-medium", rig=False).lip_sync == "loudness"

"""What the generation engine is asked, built from the database rows: one home for the worker and the CLI.

A job's fields (its avatar, voice and campaign included) make the engine's ``GenerationRequest``;
its voice chooses the speech provider; settings choose the render speed and quality. The worker
(``services.execution``) passes the job it claimed; ``manage.py generate_video`` passes an
unsaved job holding its options, so that both build the same request from the same rows.
"""
from __future__ import annotations

from pathlib import Path

from django.conf import settings

from ai_studio.generation.errors import GenerationError
from ai_studio.generation.pipeline import GenerationRequest
from ai_studio.generation.speech import SpeechProvider, get_provider
from ai_studio.generation.types import CaptionStyle
from ai_studio.models import AIVoice, VideoGenerationJob
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore


def generation_request(job: VideoGenerationJob, workdir: Path, store: DjangoStorageArtifactStore) -> GenerationRequest:
    """The engine's request for ``job``; its stored inputs (portrait, rig, logo, music) are downloaded to ``workdir``.

    Raises ``GenerationError`` (permanent) when an input is missing.
    """
    avatar, campaign = job.avatar, job.campaign
    if not avatar.portrait:
        raise GenerationError("avatar_portrait_missing", f"Avatar {avatar.name!r} has no portrait image.")
    try:
        portrait = store.download(avatar.portrait.name, workdir / f"portrait{Path(avatar.portrait.name).suffix}")
        rig = store.download(avatar.rig.name, workdir / "rig.zip") if avatar.rig else None
        logo = None
        if campaign is not None and campaign.brand_logo:
            logo = store.download(campaign.brand_logo.name, workdir / f"logo{Path(campaign.brand_logo.name).suffix}")
        music = None
        if job.music is not None and job.music.audio:
            music = store.download(job.music.audio.name, workdir / f"music{Path(job.music.audio.name).suffix}")
    except FileNotFoundError as error:
        raise GenerationError("input_file_missing", f"A stored input file is missing: {error}") from error
    style = CaptionStyle(**{k: v for k, v in (job.caption_style or {}).items()
                            if k in CaptionStyle.__dataclass_fields__})
    background = job.background_color or (campaign.brand_primary_color if campaign else "") or avatar.background_color
    return GenerationRequest(
        script=job.script, voice_id=job.voice.provider_voice_id, portrait_path=portrait, speed=job.speed,
        aspect_ratio=job.aspect_ratio, resolution=job.resolution, captions=job.captions_enabled,
        caption_style=style, background_color=background,
        accent_color=(campaign.brand_secondary_color or None) if campaign else None,
        logo_path=logo, framing=avatar.framing, rig_path=rig, language=job.voice.language, music_path=music,
    )


def speech_provider_for(voice: AIVoice) -> SpeechProvider:
    """The provider that speaks with ``voice``, configured from settings (jobs and voice samples alike)."""
    name = voice.provider or settings.SPEECH_DEFAULT_PROVIDER
    if name == "openai":
        return get_provider(
            "openai", api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_TTS_MODEL, timeout=settings.OPENAI_TIMEOUT, max_retries=0,
            word_timestamps=settings.OPENAI_WORD_TIMESTAMPS, transcribe_model=settings.OPENAI_TRANSCRIBE_MODEL,
        )
    return get_provider(name)


def render_options() -> dict:
    """The ffmpeg speed/quality trade-off from settings, as ``run_pipeline`` keyword arguments."""
    return {"render_preset": settings.RENDER_PRESET, "render_crf": settings.RENDER_CRF}

"""What the generation engine is asked, built from the database rows: one home for the worker and the CLI.

A job's fields (its avatar, voice, campaign and the campaign media its scenes show included) make
the engine's ``GenerationRequest``;
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
from ai_studio.generation.speech.sentence_cache import SentenceCache
from ai_studio.generation.types import CaptionStyle, EndCard, SceneMedia
from ai_studio.models import AIVoice, VideoGenerationJob
from ai_studio.services.artifact_storage import DjangoStorageArtifactStore
from campaigns.models import Campaign, CampaignMedia


def generation_request(job: VideoGenerationJob, workdir: Path, store: DjangoStorageArtifactStore) -> GenerationRequest:
    """The engine's request for ``job``; its stored inputs (portrait, rig, logo, the scenes' media, music)
    are downloaded into ``workdir``.

    Raises ``GenerationError`` (permanent) when an input is missing.
    """
    avatar = job.avatar
    if not avatar.portrait:
        raise GenerationError("avatar_portrait_missing", f"Avatar {avatar.name!r} has no portrait image.")
    try:
        portrait = store.download(avatar.portrait.name, workdir / f"portrait{Path(avatar.portrait.name).suffix}")
        rig = store.download(avatar.rig.name, workdir / "rig.zip") if avatar.rig else None
        campaign, logo = _branding(job, workdir, store)
        scenes = _scenes(job, workdir, store)
        music = None
        if job.music is not None and job.music.audio:
            music = store.download(job.music.audio.name, workdir / f"music{Path(job.music.audio.name).suffix}")
    except FileNotFoundError as error:
        raise GenerationError("input_file_missing", f"A stored input file is missing: {error}") from error
    style = CaptionStyle(**{k: v for k, v in (job.caption_style or {}).items()
                            if k in CaptionStyle.__dataclass_fields__})
    background = job.background_color or (campaign.brand_primary_color if campaign else "") or avatar.background_color
    return GenerationRequest(
        # With scenes, the script is exactly their texts joined (the engine finds each scene's first word in it).
        script=" ".join(scene.text for scene in scenes) if scenes else job.script,
        voice_id=job.voice.provider_voice_id, portrait_path=portrait, speed=job.speed,
        aspect_ratio=job.aspect_ratio, resolution=job.resolution, captions=job.captions_enabled,
        caption_style=style, background_color=background,
        accent_color=(campaign.brand_secondary_color or None) if campaign else None,
        logo_path=logo, framing=avatar.framing, rig_path=rig, language=job.voice.language, music_path=music,
        layout=job.layout or None, headline=job.headline,
        end_card=EndCard(text=job.end_card["text"], seconds=job.end_card["seconds"]) if job.end_card else None,
        scenes=scenes,
    )


def _scenes(job: VideoGenerationJob, workdir: Path, store: DjangoStorageArtifactStore) -> list[SceneMedia]:
    """The job's scenes, each media item downloaded once (scenes may share one).

    Raises FileNotFoundError for a media item deleted from the library or missing from storage.
    """
    if not job.scenes:
        return []
    wanted = list(dict.fromkeys(scene["media_id"] for scene in job.scenes))
    # Only the owner's own media, whatever the job row says.
    media = {str(item.pk): item for item in CampaignMedia.objects.filter(pk__in=wanted, campaign__owner=job.owner_id)}
    paths = {}
    for number, media_id in enumerate(wanted, start=1):
        if media_id not in media:
            raise FileNotFoundError(f"media {media_id} is no longer in the campaign's library")
        name = media[media_id].file.name
        paths[media_id] = store.download(name, workdir / f"scene-media-{number:02d}{Path(name).suffix}")
    return [SceneMedia(text=scene["text"], media_path=paths[scene["media_id"]], kind=media[scene["media_id"]].kind)
            for scene in job.scenes]


def _branding(job: VideoGenerationJob, workdir: Path,
              store: DjangoStorageArtifactStore) -> tuple[Campaign | None, Path | None]:
    """The campaign whose colours and logo brand the video, and its logo, downloaded.

    The campaign may have been deleted (when archived) or given another logo since the job was
    loaded; either removes the logo file it named. Then the video is branded as the campaign is
    now: with its new logo, or without a campaign at all. A logo missing while the campaign still
    names it is an error (``FileNotFoundError``).
    """
    campaign = job.campaign
    try:
        return campaign, _download_logo(campaign, workdir, store)
    except FileNotFoundError:
        current = Campaign.objects.filter(pk=campaign.pk).first()
        if current is not None and current.brand_logo.name == campaign.brand_logo.name:
            raise
        return current, _download_logo(current, workdir, store)


def _download_logo(campaign: Campaign | None, workdir: Path, store: DjangoStorageArtifactStore) -> Path | None:
    if campaign is None or not campaign.brand_logo:
        return None
    return store.download(campaign.brand_logo.name, workdir / f"logo{Path(campaign.brand_logo.name).suffix}")


def speech_provider_for(voice: AIVoice) -> SpeechProvider:
    """The provider that speaks with ``voice``, configured from settings (jobs and voice samples alike)."""
    name = voice.provider or settings.SPEECH_DEFAULT_PROVIDER
    if name == "openai":
        return get_provider(
            "openai", api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL,
            model=settings.OPENAI_TTS_MODEL, timeout=settings.OPENAI_TIMEOUT, max_retries=0,
            word_timestamps=settings.OPENAI_WORD_TIMESTAMPS, transcribe_model=settings.OPENAI_TRANSCRIBE_MODEL,
        )
    if name == "local":
        return get_provider(name, cache=speech_cache())
    return get_provider(name)


def speech_cache() -> SentenceCache | None:
    """The machine's cache of synthesised sentences (``SPEECH_CACHE_DIR``), or None when
    ``SPEECH_CACHE_MAX_MB`` is 0. A new object each time: it holds no entries in memory."""
    if settings.SPEECH_CACHE_MAX_MB <= 0:
        return None
    return SentenceCache(settings.SPEECH_CACHE_DIR, int(settings.SPEECH_CACHE_MAX_MB * 1024 * 1024))


def render_options() -> dict:
    """The ffmpeg speed/quality trade-off from settings, as ``run_pipeline`` keyword arguments."""
    return {"render_preset": settings.RENDER_PRESET, "render_crf": settings.RENDER_CRF,
            "render_threads": settings.RENDER_THREADS}

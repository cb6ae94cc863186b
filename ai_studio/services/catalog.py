"""Writes to the catalog staff curate: portraits, thumbnails and lip-sync rigs, voice samples, music, activation,
cache."""
from __future__ import annotations

import io
import logging
import tempfile
import time
import uuid
from pathlib import Path

from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ai_studio.audio_uploads import check_music_upload
from ai_studio.generation.rig import Rig, RigError, preview_png, read_rig
from ai_studio.models import AIAvatar, AIVoice, MusicTrack
from ai_studio.selectors.catalog import CATALOG_VERSION_KEY, available_voice_providers
from ai_studio.services import engine_requests
from reelmate.images import ImageRejected, inspect_image, make_thumbnail

logger = logging.getLogger(__name__)

# What a voice says in its preview, by language (the part of its BCP-47 tag before the dash).
SAMPLE_SENTENCES = {
    "en": "Hi, I'm {name}. Hand me a script, and I'll turn it into a scroll-stopping video in minutes.",
    "es": "Hola, soy {name}. Dame un guion y lo convierto en un vídeo que nadie querrá saltarse.",
    "fr": "Bonjour, je suis {name}. Donnez-moi un script, et j'en fais une vidéo qu'on regarde jusqu'au bout.",
    "de": "Hallo, ich bin {name}. Gib mir ein Skript, und ich mache daraus ein Video, das niemand wegwischt.",
}


# --- cache ------------------------------------------------------------------------------------
def invalidate_catalog_cache() -> None:
    """Make every cached catalog page stale, now and again once the current transaction commits.

    The second bump closes a race: a request between this call and the commit could otherwise
    cache the old rows under the new version.
    """
    _bump_catalog_version()
    transaction.on_commit(_bump_catalog_version)


def _bump_catalog_version() -> None:
    try:
        cache.incr(CATALOG_VERSION_KEY)
    except ValueError:  # not set yet (or evicted): any fresh clock-based value is newer
        cache.set(CATALOG_VERSION_KEY, time.time_ns() // 1000, timeout=None)


def set_active(queryset: QuerySet, *, active: bool) -> int:
    """Activate or deactivate catalog items in bulk (admin actions); returns how many changed."""
    changed = queryset.exclude(is_active=active).update(is_active=active, updated_at=timezone.now())
    invalidate_catalog_cache()  # update() sends no post_save signals
    return changed


# --- avatars ----------------------------------------------------------------------------------
def set_avatar_portrait(avatar: AIAvatar, upload) -> None:
    """Store an image as the avatar's portrait with a derived thumbnail, or remove both (``upload=None``).

    ``upload`` is any Django ``File``; it is checked with ``reelmate.images`` (again, cheaply)
    so that no caller can store an unchecked image. A lip-sync rig is drawn for one portrait:
    changing the portrait this way removes the avatar's rig and its preview too
    (:func:`set_avatar_rig` sets rig and portrait together). Saves the avatar; the files it
    replaces are deleted once the change is committed.
    """
    old_names = _store_portrait(avatar, upload) + _clear_rig(avatar)
    avatar.save()
    _delete_files_after_commit(old_names)


def set_avatar_rig(avatar: AIAvatar, upload) -> Rig | None:
    """Store a lip-sync rig ZIP, its preview sheet and its base as the portrait; or remove the rig.

    ``upload`` is any Django ``File``, validated with :func:`check_avatar_rig` (``RigError``
    propagates, nothing stored). The ZIP is stored under a fresh random name, the portrait and
    its thumbnail are made from the rig's ``base.png`` and the preview is the contact sheet of
    every shape. ``upload=None`` removes the rig and its preview; the portrait stays. Saves the
    avatar (which invalidates the catalog cache); replaced files are deleted after the commit.
    """
    if upload is None:
        old_names = _clear_rig(avatar)
        avatar.save()
        _delete_files_after_commit(old_names)
        return None
    rig, base = _read_avatar_rig(upload)
    old_names = _clear_rig(avatar)
    upload.seek(0)
    avatar.rig.save(f"{uuid.uuid4().hex}.zip", upload, save=False)
    avatar.rig_preview.save(f"{uuid.uuid4().hex}.png", ContentFile(preview_png(rig)), save=False)
    old_names += _store_portrait(avatar, base)
    avatar.save()
    _delete_files_after_commit(old_names)
    return rig


def check_avatar_rig(upload) -> Rig:
    """Read and validate a rig (any binary file object); raise ``RigError`` listing every problem.

    Beyond :func:`~ai_studio.generation.rig.read_rig`, the base must pass as a portrait image
    (``reelmate.images``: size and pixel limits), since it becomes the avatar's portrait.
    """
    return _read_avatar_rig(upload)[0]


def _read_avatar_rig(upload) -> tuple[Rig, ContentFile]:
    """The validated rig and its base as a portrait file."""
    try:
        rig = read_rig(upload)
        base = _base_portrait(rig)
        inspect_image(base)
    except ImageRejected as error:
        raise RigError([f"The base portrait (base.png) cannot be the avatar's portrait: {error.message}"]) from None
    finally:
        upload.seek(0)
    return rig, base


def _base_portrait(rig: Rig) -> ContentFile:
    """The rig's base as a PNG file (without an alpha channel when it is fully opaque)."""
    base = rig.base
    if base.getextrema()[3] == (255, 255):
        base = base.convert("RGB")
    output = io.BytesIO()
    base.save(output, "PNG")
    return ContentFile(output.getvalue(), name="base.png")


def _store_portrait(avatar: AIAvatar, upload) -> list[str]:
    """Put the portrait and its thumbnail on the avatar (unsaved); the names of the files replaced."""
    old_names = [name for name in (avatar.portrait.name, avatar.portrait_thumbnail.name) if name]
    if upload is None:
        avatar.portrait = avatar.portrait_thumbnail = ""
    else:
        info = inspect_image(upload)
        thumbnail = make_thumbnail(upload)  # first: some storages close the file they were given
        avatar.portrait.save(info.storage_name(), upload, save=False)
        avatar.portrait_thumbnail.save(thumbnail.name, thumbnail, save=False)
    return old_names


def _clear_rig(avatar: AIAvatar) -> list[str]:
    """Take the rig and its preview off the avatar (unsaved); the names of the files removed."""
    old_names = [name for name in (avatar.rig.name, avatar.rig_preview.name) if name]
    avatar.rig = avatar.rig_preview = ""
    return old_names


# --- voices -----------------------------------------------------------------------------------
def sample_sentence(voice: AIVoice) -> str:
    language = voice.language.split("-")[0].lower()
    return SAMPLE_SENTENCES.get(language, SAMPLE_SENTENCES["en"]).format(name=voice.name)


def generate_voice_sample(voice: AIVoice) -> bool:
    """Synthesise the voice's preview sample and store it, unless it has one; True if one was stored.

    Speech errors (``ai_studio.generation.speech.SpeechError``) propagate, for the task to retry
    the transient ones.
    """
    if voice.sample_audio:
        return False
    if voice.provider not in available_voice_providers():
        logger.warning("voice sample skipped: provider %s is not configured", voice.provider,
                       extra={"voice": voice.slug})
        return False
    provider = engine_requests.speech_provider_for(voice)
    with tempfile.TemporaryDirectory(prefix="voice-sample-") as workdir:
        result = provider.synthesize(sample_sentence(voice), voice.provider_voice_id, Path(workdir),
                                     speed=voice.speaking_rate)
        with transaction.atomic():
            current = AIVoice.objects.select_for_update().get(pk=voice.pk)
            if current.sample_audio:  # another run stored one meanwhile
                voice.sample_audio = current.sample_audio
                return False
            with open(result.audio_path, "rb") as audio:
                current.sample_audio.save(f"{current.slug}.wav", File(audio), save=False)
            current.save(update_fields=["sample_audio", "updated_at"])
    voice.sample_audio = current.sample_audio
    return True


# --- music ------------------------------------------------------------------------------------
def set_music_audio(track: MusicTrack, upload) -> None:
    """Store an audio file as the track's music, with its measured duration; or remove it (``upload=None``).

    ``upload`` is any Django ``File``, checked by decoding it (``audio_uploads.check_music_upload``:
    ``AudioRejected`` propagates, nothing stored). Saves the track; the file it replaces is
    deleted once the change is committed.
    """
    old_names = [track.audio.name] if track.audio else []
    if upload is None:
        track.audio, track.duration_seconds = "", 0.0
    else:
        checked = check_music_upload(upload)
        track.audio.save(checked.storage_name(), upload, save=False)
        track.duration_seconds = round(checked.duration, 2)
    track.save()
    _delete_files_after_commit(old_names)


_CATALOG_FILES = {
    AIAvatar: ("portrait", "portrait_thumbnail", "rig", "rig_preview"),
    AIVoice: ("sample_audio",),
    MusicTrack: ("audio",),
}


def delete_catalog_files(item: AIAvatar | AIVoice | MusicTrack) -> None:
    """Remove a deleted catalog item's stored files (once the deletion is committed)."""
    fields = _CATALOG_FILES[type(item)]
    _delete_files_after_commit([getattr(item, field).name for field in fields if getattr(item, field)])


def _delete_files_after_commit(names: list[str]) -> None:
    def delete():
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete)

"""Reads of the AI Studio catalog: what users may pick (avatars, voices, music, layouts) and which templates
they see."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from ai_studio.generation.layout import LAYOUTS, default_layout
from ai_studio.models import AIAvatar, AIVoice, MusicTrack, PromptTemplate, VoiceProvider
from reelmate.cache import shared_cache_available

CATALOG_VERSION_KEY = "ai_studio:catalog:version"
CATALOG_PAGE_MAX_SECONDS = 300


def available_voice_providers() -> set[str]:
    """Providers that can speak on this installation: local always, OpenAI only with an API key."""
    providers = {VoiceProvider.LOCAL.value}
    if settings.OPENAI_API_KEY:
        providers.add(VoiceProvider.OPENAI.value)
    return providers


def is_voice_available(voice: AIVoice | None) -> bool:
    return voice is not None and voice.is_active and voice.provider in available_voice_providers()


def layout_choices() -> list[dict]:
    """The engine's layouts, each with the aspect ratios at which a job that leaves ``layout``
    blank gets it (a job with media, for a layout that needs media; without, for the others)."""
    return [
        {**asdict(info), "default_for": [aspect for aspect in info.aspect_ratios
                                         if default_layout(aspect, has_media=info.needs_media) == info.name]}
        for info in LAYOUTS.values()
    ]


def active_avatars() -> QuerySet[AIAvatar]:
    return AIAvatar.objects.filter(is_active=True).select_related("default_voice")


def active_voices() -> QuerySet[AIVoice]:
    """Active voices whose provider works here (an OpenAI voice without an API key would only fail)."""
    return AIVoice.objects.filter(is_active=True, provider__in=available_voice_providers())


def speaking(voices: QuerySet[AIVoice], language: str) -> QuerySet[AIVoice]:
    """The voices that speak ``language``, a BCP-47 tag: ``de`` matches de-DE and de-AT, ``de-AT`` only de-AT."""
    return voices.filter(Q(language__iexact=language) | Q(language__istartswith=f"{language}-"))


def active_music() -> QuerySet[MusicTrack]:
    """Music users may lay under a reel: switched on, with its audio stored."""
    return MusicTrack.objects.filter(is_active=True).exclude(audio="")


def get_active_avatar(avatar_id) -> AIAvatar | None:
    """The active avatar with this id, or None (unknown, inactive or malformed id)."""
    return _first(active_avatars(), avatar_id)


def get_active_voice(voice_id) -> AIVoice | None:
    """The active, available voice with this id, or None (unknown, inactive, unavailable or malformed id)."""
    return _first(active_voices(), voice_id)


def templates_visible_to(user) -> QuerySet[PromptTemplate]:
    """System templates, everyone's public templates, and the user's own."""
    visible = Q(owner__isnull=True) | Q(is_public=True)
    if user is not None and user.is_authenticated:
        visible |= Q(owner=user)
    return PromptTemplate.objects.filter(visible)


def system_templates() -> QuerySet[PromptTemplate]:
    """The templates staff curate for everyone (no owner)."""
    return PromptTemplate.objects.filter(owner__isnull=True)


def get_visible_template(user, template_id) -> PromptTemplate | None:
    """A template the user may read and use, or None (also for another user's private template)."""
    return _first(templates_visible_to(user), template_id)


def _first(queryset: QuerySet, pk):
    try:
        return queryset.filter(pk=pk).first()
    except (ValueError, TypeError, ValidationError):
        return None


# --- cached catalog pages ---------------------------------------------------------------------
def catalog_version() -> int:
    """The catalog's current version; any staff change bumps it (``services.catalog.invalidate_catalog_cache``).

    Started from the clock so that, should the cache evict the key, a restarted count can never
    collide with a version whose cached pages are still around.
    """
    version = cache.get(CATALOG_VERSION_KEY)
    if version is None:
        cache.add(CATALOG_VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(CATALOG_VERSION_KEY)
    return version


def catalog_cache_seconds() -> int:
    """How long a catalog page may be served from the cache: well inside its presigned URLs' lifetime."""
    return max(0, min(CATALOG_PAGE_MAX_SECONDS, settings.PRESIGNED_URL_EXPIRY // 4))


def cached_catalog_page(kind: str, request_url: str, build: Callable[[], dict]) -> dict:
    """The response body for a catalog list URL, built once per catalog version and URL.

    ``request_url`` is the absolute URL (host, path and query) because pagination links in the
    body are absolute. Bodies hold no user data, so they are shared by all users.
    """
    timeout = catalog_cache_seconds()
    if not timeout:
        return build()
    version = catalog_version()
    if not shared_cache_available():
        # Redis is away: a page cached in this process alone would miss staff edits made elsewhere.
        return build()
    digest = hashlib.sha256(request_url.encode()).hexdigest()[:32]
    key = f"ai_studio:catalog:{kind}:v{version}:{digest}"
    body = cache.get(key)
    if body is None:
        body = build()
        cache.set(key, body, timeout=timeout)
    return body


def provider_voice_ids(provider: str) -> set[str]:
    """The voice ids a speech provider really offers (what ``AIVoice.provider_voice_id`` may be)."""
    # Imported here: each provider's module loads its engine (the openai SDK, Piper); only the one asked for.
    if provider == VoiceProvider.OPENAI:
        from ai_studio.generation.speech.openai_tts import OPENAI_VOICES

        return set(OPENAI_VOICES)
    if provider == VoiceProvider.LOCAL:
        from ai_studio.generation.speech.local import LOCAL_VOICES

        return set(LOCAL_VOICES)
    return set()

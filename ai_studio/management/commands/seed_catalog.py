"""Load the starter catalog: avatars with drawn, lip-synced portraits, voices, music beds, system templates,
and the script writer's instructions (version 1 of each purpose, if it has none yet).

Idempotent: avatars and voices are matched by slug and system templates by name, and updated in
place. Each avatar gets a drawn lip-sync rig (a sprite per mouth shape and eyelid state), whose
base becomes its portrait; rigs are drawn only for avatars without one (``--redraw-portraits``
to redo them), so a second run stores nothing new. Music tracks are matched by slug; their audio,
synthesised by ``ai_studio.seeding.music``, is stored only for tracks without any.
Voices without a preview sample get one queued for the worker (``--no-samples`` to skip).
"""
from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from ai_studio.models import AIAvatar, AIVoice, MusicTrack, PromptTemplate, VoiceProvider
from ai_studio.seeding import music as starter_music
from ai_studio.seeding import starter_catalog as starter
from ai_studio.seeding.portraits import rig_zip
from ai_studio.selectors.catalog import active_voices
from ai_studio.services import catalog as catalog_services
from ai_studio.services import language_model as language_model_services
from ai_studio.services import templates as template_services
from ai_studio.tasks import generate_voice_sample

try:
    from ai_studio.generation.speech.local import LOCAL_VOICES
except ImportError:  # the offline speech engine is optional for seeding: offer a minimal list
    LOCAL_VOICES = starter.FALLBACK_LOCAL_VOICES


class Command(BaseCommand):
    help = ("Load (or refresh) the starter catalog of avatars, voices, music and system prompt templates, and "
            "the script writer's default instructions.")

    def add_arguments(self, parser):
        parser.add_argument("--redraw-portraits", action="store_true",
                            help="Draw portraits (and their lip-sync rigs) again even if present.")
        parser.add_argument("--no-samples", action="store_true", help="Do not queue voice preview samples.")

    def handle(self, *args, redraw_portraits: bool = False, no_samples: bool = False, **options):
        with transaction.atomic():
            voices = self._seed_voices()
            avatars = self._seed_avatars(voices, redraw=redraw_portraits)
            templates = self._seed_templates()
            prompts = language_model_services.ensure_default_prompts()
            tracks = self._seed_music()
        self.stdout.write(self.style.SUCCESS(
            f"Starter catalog ready: {avatars} avatars, {len(voices)} voices, {tracks} music tracks, "
            f"{templates} system templates"
            + (f", {prompts} writer instructions." if prompts else ".")
        ))
        if not no_samples:
            self._queue_samples()

    def _seed_voices(self) -> dict[str, AIVoice]:
        voices: dict[str, AIVoice] = {}
        for order, (voice_id, name, gender, style, description) in enumerate(starter.OPENAI_VOICES):
            voices[voice_id], _ = AIVoice.objects.update_or_create(
                slug=f"openai-{voice_id}",
                defaults={"name": name, "provider": VoiceProvider.OPENAI, "provider_voice_id": voice_id,
                          "language": "en-US", "gender": gender, "style": style, "description": description,
                          "sort_order": 20 + order},
            )
        for order, (voice_id, info) in enumerate(LOCAL_VOICES.items()):
            name, style, description, accent = starter.LOCAL_VOICE_DETAILS.get(
                voice_id, (f"{info['label']} (offline)", "offline", "An offline voice.", ""))
            voices[voice_id], _ = AIVoice.objects.update_or_create(
                slug="local-" + voice_id.replace(":", "-").replace("_", "-").lower(),
                defaults={"name": name, "provider": VoiceProvider.LOCAL, "provider_voice_id": voice_id,
                          "language": info["language"], "gender": info["gender"], "style": style,
                          "accent": accent, "description": description,
                          # The natural offline voice first; robotic ones after the OpenAI voices.
                          "sort_order": 10 if style == "natural" else 80 + order},
            )
        return voices

    def _seed_avatars(self, voices: dict[str, AIVoice], *, redraw: bool) -> int:
        for order, spec in enumerate(starter.AVATARS):
            fields = {key: value for key, value in spec.items() if key not in ("slug", "portrait", "default_voice")}
            avatar, _ = AIAvatar.objects.update_or_create(
                slug=spec["slug"],
                defaults={**fields, "default_voice": voices.get(spec["default_voice"]), "sort_order": 10 * (order + 1)},
            )
            if redraw or not avatar.rig:  # the rig's base becomes the portrait (and its thumbnail)
                rig = ContentFile(rig_zip(spec["portrait"]), name=f"{avatar.slug}-rig.zip")
                catalog_services.set_avatar_rig(avatar, rig)
        return len(starter.AVATARS)

    def _seed_templates(self) -> int:
        for spec in starter.TEMPLATES:
            fields = {key: value for key, value in spec.items() if key != "name"}
            existing = PromptTemplate.objects.filter(owner__isnull=True, name=spec["name"]).first()
            if existing:
                template_services.update_template(existing, **fields)
            else:
                template_services.create_template(owner=None, name=spec["name"], **fields)
        return len(starter.TEMPLATES)

    def _seed_music(self) -> int:
        for order, track in enumerate(starter_music.STARTER_TRACKS):
            row, _ = MusicTrack.objects.update_or_create(
                slug=track.slug,
                defaults={"title": track.title, "mood": track.mood, "description": track.description,
                          "licence": starter_music.LICENCE, "credit": starter_music.CREDIT,
                          "sort_order": 10 * (order + 1)},
            )
            if not row.audio:
                audio = ContentFile(starter_music.track_mp3(track.slug), name=f"{track.slug}.mp3")
                catalog_services.set_music_audio(row, audio)
        return len(starter_music.STARTER_TRACKS)

    def _queue_samples(self) -> None:
        missing = list(active_voices().filter(sample_audio="").values_list("pk", flat=True))
        for voice_id in missing:
            generate_voice_sample.delay(voice_id)
        if missing:
            self.stdout.write(f"Queued {len(missing)} voice preview samples for the worker.")


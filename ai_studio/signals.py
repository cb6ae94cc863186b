"""Catalog bookkeeping on staff changes, however they are made (admin, shell, seed, worker)."""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ai_studio.models import AIAvatar, AIVoice, MusicTrack
from ai_studio.services import catalog as catalog_services


@receiver(post_save, sender=AIAvatar, dispatch_uid="ai_studio.avatar_saved")
@receiver(post_save, sender=AIVoice, dispatch_uid="ai_studio.voice_saved")
@receiver(post_save, sender=MusicTrack, dispatch_uid="ai_studio.music_saved")
def catalog_item_saved(sender, instance, **kwargs):
    catalog_services.invalidate_catalog_cache()


@receiver(post_delete, sender=AIAvatar, dispatch_uid="ai_studio.avatar_deleted")
@receiver(post_delete, sender=AIVoice, dispatch_uid="ai_studio.voice_deleted")
@receiver(post_delete, sender=MusicTrack, dispatch_uid="ai_studio.music_deleted")
def catalog_item_deleted(sender, instance, **kwargs):
    catalog_services.invalidate_catalog_cache()
    catalog_services.delete_catalog_files(instance)

"""Writes to campaigns: create, update (including status transitions) and delete; their media libraries.

Deleting is deliberately conservative, because a campaign groups generated videos that users
paid for in time and credits: a campaign with any jobs or videos can only be deleted once it is
archived, and deleting it then keeps every job and video in the user's library (their campaign
becomes empty; the foreign keys are SET_NULL). Nothing is removed silently.

A media item (or a campaign with media) cannot be deleted while a queued or processing job needs it
for its render; the videos of finished jobs keep their own files, so their media can go.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction

from reelmate.errors import Conflict

from .models import ALLOWED_TRANSITIONS, Campaign, CampaignMedia, CampaignStatus
from .selectors import has_generation_history, media_in_use

# Fields a client may change while a campaign is archived: only its status (to restore it).
_EDITABLE_WHEN_ARCHIVED = {"status"}


def create_campaign(*, owner, brand_logo=None, **fields) -> Campaign:
    """A new campaign, always a draft. ``brand_logo`` is an upload ``reelmate.images`` accepted."""
    campaign = Campaign(owner=owner, status=CampaignStatus.DRAFT, **fields)
    campaign.full_clean(exclude=["brand_logo"])  # before the logo is stored, so a rejection stores nothing
    if brand_logo is not None:
        _attach_logo(campaign, brand_logo)
    campaign.save()
    return campaign


def update_campaign(campaign: Campaign, **fields) -> Campaign:
    """Apply ``fields`` (any subset of the model's editable fields, ``status`` included).

    ``brand_logo`` may be a new accepted upload, or None to remove the logo. A status change
    must be one of ``ALLOWED_TRANSITIONS``; an archived campaign must be restored to draft
    before anything else about it changes.
    """
    new_status = fields.get("status", campaign.status)
    if new_status != campaign.status:
        ensure_transition_allowed(campaign, new_status)
    if campaign.status == CampaignStatus.ARCHIVED and new_status == CampaignStatus.ARCHIVED:
        changed = {name for name, value in fields.items() if _differs(campaign, name, value)}
        if changed - _EDITABLE_WHEN_ARCHIVED:
            raise _archived()

    logo_given = "brand_logo" in fields
    new_logo = fields.pop("brand_logo", None)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean(exclude=["brand_logo"])  # before the logo is stored, so a rejection stores nothing
    replaced_logo = campaign.brand_logo.name or None
    if logo_given:
        if new_logo is None:
            campaign.brand_logo = ""
        else:
            _attach_logo(campaign, new_logo)
    campaign.save()
    if logo_given and replaced_logo and replaced_logo != campaign.brand_logo.name:
        _delete_file_after_commit(replaced_logo)
    return campaign


def ensure_transition_allowed(campaign: Campaign, new_status: str) -> None:
    """Raise Conflict ``invalid_status_transition``, naming the statuses that may follow, if not allowed."""
    if campaign.can_transition_to(new_status):
        return
    allowed = allowed_next_statuses(campaign)
    raise Conflict(
        f"A campaign cannot go from {campaign.status} to {new_status}; from {campaign.status} it can go to: "
        f"{', '.join(allowed)}.",
        code="invalid_status_transition",
        fields={"status": [f"Allowed next statuses: {', '.join(allowed)}."]},
    )


def allowed_next_statuses(campaign: Campaign) -> list[str]:
    """The statuses a campaign may move to next, in the lifecycle's order."""
    return [status for status in CampaignStatus.values if status in ALLOWED_TRANSITIONS[campaign.status]]


def delete_campaign(campaign: Campaign) -> None:
    """Delete an archived campaign (or one that never produced anything), keeping its jobs and videos.

    Raises Conflict ``campaign_not_archived`` for a campaign with generation history that is not
    archived, so that nobody detaches videos from a live campaign by accident, and Conflict
    ``media_in_use`` while a queued or processing job needs the campaign's media. Its media library
    goes with it.
    """
    if campaign.status != CampaignStatus.ARCHIVED and has_generation_history(campaign):
        raise Conflict(
            "Archive this campaign before deleting it. Its videos and jobs will stay in your library.",
            code="campaign_not_archived",
        )
    with transaction.atomic():
        media = _locked(CampaignMedia.objects.filter(campaign=campaign))
        if media_in_use([item.pk for item in media]):
            raise Conflict("Reels that are still being made use this campaign's media; delete the campaign once "
                           "they have finished or been canceled.", code="media_in_use")
        files = [campaign.brand_logo.name, *_stored_files(media)]
        campaign.delete()  # jobs and videos: campaign -> NULL (on_delete=SET_NULL); media: deleted
    for name in files:
        if name:
            _delete_file_after_commit(name)


# --- media libraries --------------------------------------------------------------------------
def add_media(campaign: Campaign, upload) -> CampaignMedia:
    """Store an upload that ``reelmate.media`` accepted (``upload.media_info``) in the campaign's library.

    Stored under the item's id with the extension and Content-Type of the sniffed type, never the
    client's; if anything fails on the way, nothing stays behind in storage.
    """
    if campaign.status == CampaignStatus.ARCHIVED:
        raise _archived()
    info = upload.media_info
    media = CampaignMedia(campaign=campaign, kind=info.kind, name=upload.name or "", content_type=info.content_type,
                          width=info.width, height=info.height, duration_seconds=info.duration,
                          size_bytes=upload.size)
    upload.content_type = info.content_type  # what storage serves it as (S3 would take the client's word)
    try:
        media.file.save(f"{media.id.hex}.{info.extension}", upload, save=False)
        media.thumbnail.save(f"{media.id.hex}-thumbnail.jpg", info.thumbnail, save=False)
        media.save()
    except Exception:
        for name in _stored_files([media]):
            default_storage.delete(name)
        raise
    return media


def delete_media(media: CampaignMedia) -> None:
    """Delete a media item and its files; Conflict ``media_in_use`` while a queued or processing job needs it."""
    with transaction.atomic():
        locked = _locked(CampaignMedia.objects.filter(pk=media.pk))
        if media_in_use([media.pk]):
            raise Conflict("A reel that is still being made uses this media; delete it once the job has finished "
                           "or been canceled.", code="media_in_use")
        files = _stored_files(locked)
        CampaignMedia.objects.filter(pk=media.pk).delete()
    for name in files:
        _delete_file_after_commit(name)


def _locked(media) -> list[CampaignMedia]:
    """Lock the rows for this transaction: a job being submitted with them (which locks them too) is
    either committed before the in-use check, or sees them gone."""
    return list(media.select_for_update())


def _stored_files(media) -> list[str]:
    return [field.name for item in media for field in (item.file, item.thumbnail) if field]


def _archived() -> Conflict:
    return Conflict("This campaign is archived; restore it to draft before editing it.", code="campaign_archived")


def _attach_logo(campaign: Campaign, upload) -> None:
    # Stored under a random name with the extension of the sniffed type, never the client's name.
    campaign.brand_logo.save(upload.image_info.storage_name(), upload, save=False)


def _differs(campaign: Campaign, name: str, value) -> bool:
    if name == "brand_logo":
        return value is not None or bool(campaign.brand_logo)
    return getattr(campaign, name) != value


def _delete_file_after_commit(name: str) -> None:
    transaction.on_commit(lambda: default_storage.delete(name))

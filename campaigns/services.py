"""Writes to campaigns: create, update (including status transitions) and delete.

Deleting is deliberately conservative, because a campaign groups generated videos that users
paid for in time and credits: a campaign with any jobs or videos can only be deleted once it is
archived, and deleting it then keeps every job and video in the user's library (their campaign
becomes empty; the foreign keys are SET_NULL). Nothing is removed silently.
"""
from __future__ import annotations

from django.core.files.storage import default_storage
from django.db import transaction

from reelmate.errors import Conflict

from .models import ALLOWED_TRANSITIONS, Campaign, CampaignStatus
from .selectors import has_generation_history

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
            raise Conflict("This campaign is archived; restore it to draft before editing it.",
                           code="campaign_archived")

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
    archived, so that nobody detaches videos from a live campaign by accident.
    """
    if campaign.status != CampaignStatus.ARCHIVED and has_generation_history(campaign):
        raise Conflict(
            "Archive this campaign before deleting it. Its videos and jobs will stay in your library.",
            code="campaign_not_archived",
        )
    logo = campaign.brand_logo.name
    with transaction.atomic():
        # Locked first: a job completing right now holds the campaign while it stores its video, so
        # the SET NULL below waits for that video and empties its campaign too, instead of the delete
        # failing on it (or the job failing on the deleted campaign).
        list(Campaign.objects.select_for_update().filter(pk=campaign.pk).values_list("pk", flat=True))
        campaign.delete()  # jobs and videos: campaign -> NULL (on_delete=SET_NULL)
    if logo:
        _delete_file_after_commit(logo)


def _attach_logo(campaign: Campaign, upload) -> None:
    # Stored under a random name with the extension of the sniffed type, never the client's name.
    campaign.brand_logo.save(upload.image_info.storage_name(), upload, save=False)


def _differs(campaign: Campaign, name: str, value) -> bool:
    if name == "brand_logo":
        return value is not None or bool(campaign.brand_logo)
    return getattr(campaign, name) != value


def _delete_file_after_commit(name: str) -> None:
    transaction.on_commit(lambda: default_storage.delete(name))

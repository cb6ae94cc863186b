"""Every new user gets the default plan, however the account is made (API, admin, shell, tests)."""
from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts import services
from accounts.models import User


@receiver(post_save, sender=User, dispatch_uid="accounts.user_created")
def user_created(sender, instance: User, created: bool, raw: bool = False, **kwargs):
    if created and not raw:  # raw: loaddata restores the user's own plan row as well
        services.assign_default_plan(instance)

"""What the apps' admins share."""
from __future__ import annotations


class ReadOnlyAdminMixin:
    """For records the application writes (rollups, ledgers, computed views): staff look, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

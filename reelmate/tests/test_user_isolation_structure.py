"""User isolation is structural: every API view over user-owned data is owner-scoped.

A new endpoint either subclasses OwnerScopedViewSet (its queryset is always filtered by the
requesting user, so other users' rows are 404) or is listed here with the reason it is safe.
"""
from django.urls import URLPattern, URLResolver, get_resolver

from reelmate.api.viewsets import OwnerScopedViewSet

NOT_OWNER_SCOPED = {
    # view class name: why it needs no owner scoping
    "RegisterView": "creates a new account",
    "TokenObtainView": "credentials in, tokens out",
    "TokenRefreshView": "token in, token out",
    "LogoutView": "acts on the token it is given",
    "MeView": "returns request.user only",
    "UsageView": "returns request.user's own plan and usage only",
    "AvatarViewSet": "the shared catalog (no owner)",
    "VoiceViewSet": "the shared catalog (no owner)",
    "MusicViewSet": "the shared catalog (no owner)",
    "LayoutViewSet": "the renderer's layouts, in code (no owner)",
    "EventIngestView": "writes only; resolves videos by share token or by the caller's own video ids",
    "QueueStatusView": "staff only (IsAdminUser): job counts across all users for autoscaling, no user's rows",
    "LiveView": "health",
    "ReadyView": "health",
    "SpectacularAPIView": "the OpenAPI schema",
    "SpectacularSwaggerView": "API docs",
    "SpectacularRedocView": "API docs",
}


def api_view_classes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from api_view_classes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith("api/"):
            view_class = getattr(pattern.callback, "cls", None)
            if view_class is not None:
                yield route, view_class


def test_every_api_view_is_owner_scoped_or_explicitly_public():
    seen = dict(api_view_classes())
    assert len(seen) > 20, "the walk should find the whole API"
    unscoped = {route: view.__name__ for route, view in seen.items()
                if not issubclass(view, OwnerScopedViewSet) and view.__name__ not in NOT_OWNER_SCOPED}
    assert unscoped == {}


def test_owner_scoped_views_cannot_override_the_owner_filter():
    try:
        class Careless(OwnerScopedViewSet):
            def get_queryset(self):
                return None
    except TypeError as error:
        assert "get_base_queryset" in str(error)
    else:
        raise AssertionError("overriding get_queryset must be refused")

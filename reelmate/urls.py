from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from ai_studio.api.usage import UsageView
from analytics import views as analytics_views
from reelmate import health, storage
from reelmate.live import relay

api_patterns = [
    path("auth/", include("accounts.urls")),
    path("", include("campaigns.urls")),
    path("ai-studio/", include("analytics.sharing_urls")),  # .../share and .../download
    path("ai-studio/", include("ai_studio.urls")),
    path("analytics/", include("analytics.urls")),
    path("", include("webhooks.urls")),
    re_path(r"^usage/?$", UsageView.as_view(), name="usage"),
    re_path(r"^health/live/?$", health.LiveView.as_view(), name="health-live"),
    re_path(r"^health/ready/?$", health.ReadyView.as_view(), name="health-ready"),
    re_path(r"^schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # HTML pages: GET only (an OPTIONS request would ask their template renderer for metadata).
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema", http_method_names=["get", "head"]),
            name="api-docs"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema", http_method_names=["get", "head"]),
            name="api-redoc"),
]

urlpatterns = [
    path("admin/analytics/dashboard/", admin.site.admin_view(analytics_views.staff_dashboard),
         name="analytics-dashboard"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    # The embedded default's loopback relay of worker events (signed; 404 when Redis carries them).
    path("internal/live/events", relay.relay_view, name="live-relay"),
    path("media-signed/<str:token>", storage.serve_signed_file, name="signed-file"),
    path("v/", include("analytics.share_page_urls")),
]

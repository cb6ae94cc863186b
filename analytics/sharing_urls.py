"""`/api/ai-studio/generated-videos/<id>/share` and `/download` (included under "ai-studio/")."""
from django.urls import re_path

from .api.sharing import VideoSharingViewSet
from .urls import UUID

urlpatterns = [
    re_path(rf"^generated-videos/(?P<pk>{UUID})/share/?$",
            VideoSharingViewSet.as_view({"post": "share", "delete": "revoke"}), name="video-share"),
    re_path(rf"^generated-videos/(?P<pk>{UUID})/download/?$",
            VideoSharingViewSet.as_view({"get": "download"}), name="video-download"),
]

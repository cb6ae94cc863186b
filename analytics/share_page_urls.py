"""The public share page `/v/<token>` and the stable URLs social previews point at."""
from django.urls import re_path

from . import views

TOKEN = r"(?P<token>[A-Za-z0-9_-]{16,64})"

urlpatterns = [
    re_path(rf"^{TOKEN}/?$", views.share_page, name="share-page"),
    re_path(rf"^{TOKEN}/captions\.vtt$", views.share_captions, name="share-captions"),
    re_path(rf"^{TOKEN}/thumbnail\.jpg$", views.share_thumbnail, name="share-thumbnail"),
    re_path(rf"^{TOKEN}/video\.mp4$", views.share_video_file, name="share-video"),
]

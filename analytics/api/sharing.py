"""Share links and downloads of the caller's generated videos (others' videos are 404)."""
from __future__ import annotations

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from ai_studio.models import GeneratedVideo
from analytics import services
from reelmate.api.viewsets import OwnerScopedViewSet

from .serializers import ShareLinkSerializer


class VideoSharingViewSet(OwnerScopedViewSet):
    serializer_class = ShareLinkSerializer
    filter_backends: list = []  # actions on one video: no list filters apply

    def get_base_queryset(self):
        return GeneratedVideo.objects.all()

    @extend_schema(request=None, responses={201: ShareLinkSerializer, 200: ShareLinkSerializer},
                   summary="Create (or return) the video's public share link", tags=["sharing"])
    def share(self, request, pk):
        link, created = services.share_video(video=self.get_object())
        return Response(ShareLinkSerializer(link).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None}, summary="Revoke the public share link (if any)",
                   tags=["sharing"])
    def revoke(self, request, pk):
        services.revoke_share(video=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={302: OpenApiResponse(
        description="Redirect to a short-lived URL that downloads the MP4 as an attachment.")},
        summary="Download the video (counts a download)", tags=["sharing"])
    def download(self, request, pk):
        return HttpResponseRedirect(services.start_download(video=self.get_object(), user=request.user))

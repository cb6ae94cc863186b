"""Player events from the public share page and the frontend."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import services
from reelmate.api.ratelimit import limit_per_ip

from .serializers import EventBatchSerializer, EventsAcceptedSerializer


class EventIngestView(APIView):
    """Anonymous viewers send events with a share token; a signed-in owner may use the video id."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(request=EventBatchSerializer,
                   responses={202: EventsAcceptedSerializer, 404: OpenApiResponse(
                       description="`not_found`: an unknown video or share link; nothing was recorded.")},
                   summary="Record a batch of player events", tags=["analytics"])
    @limit_per_ip("analytics-events", "RATELIMIT_EVENTS")
    def post(self, request):
        serializer = EventBatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        accepted = services.ingest_player_events(events=serializer.validated_data["events"], user=request.user)
        return Response({"accepted": accepted}, status=status.HTTP_202_ACCEPTED)

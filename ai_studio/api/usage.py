"""`GET /api/usage`: the caller's plan, and for each of its limits what is used, what remains and when it resets."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import effective_limits
from accounts.services import user_plan_of
from ai_studio.selectors.usage import usage_of
from ai_studio.serializers.usage import UsageSerializer


class UsageView(APIView):
    @extend_schema(responses={200: UsageSerializer}, tags=["usage"], summary="Your plan and what you used of it",
                   description="A limit of `null` is unlimited. Over a limit, `generate-video` and `retry` answer "
                               "429 `quota_exceeded` with the limit's name in `error.limit`.")
    def get(self, request):
        user_plan = user_plan_of(request.user)
        usage = usage_of(request.user, user_plan.plan, effective_limits(user_plan), timezone.now())
        return Response(UsageSerializer(usage).data)

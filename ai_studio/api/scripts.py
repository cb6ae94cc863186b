"""Script writer endpoints: drafts from a campaign's brief, and translations of a script.

Owner-scoped over campaigns: a campaign that is not the caller's is 404. Both endpoints share the
per-user throttle scope ``scripts`` (``SCRIPT_WRITER_RATE``), since each may call the language model.
"""
from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.response import Response

from ai_studio.serializers.scripts import (
    DraftRequestSerializer,
    DraftsSerializer,
    TranslateRequestSerializer,
    TranslationsSerializer,
)
from ai_studio.services import script_writer
from campaigns.models import Campaign
from reelmate.api.viewsets import OwnerScopedViewSet

WRITER_ERRORS = {
    429: OpenApiResponse(description="`throttled`: too many scripts for now (per user; see Retry-After)."),
    503: OpenApiResponse(description=(
        "The language model could not help. `error.code`: `writer_unavailable` (none configured: "
        "translations always, drafts in a language the system templates are not written in), "
        "`writer_rate_limited`, `writer_timeout`, `writer_provider_unavailable` (after bounded retries "
        "with backoff), `writer_auth_failed`, `writer_quota_exceeded`, `writer_rejected`, "
        "`writer_invalid_output` (its answers kept failing the checks: `error.problems` lists why) or "
        "`writer_refused`; `error.attempts` counts the calls made."
    ), examples=[OpenApiExample("invalid output", status_codes=["503"], value={"error": {
        "code": "writer_invalid_output", "message": "The language model's answers did not pass the checks; try "
                                                    "again, or change the brief (see `problems`).",
        "attempts": 3, "problems": ["Variant 2 has 131 words; it must have 58 to 88 (aim for 73)."]}})]),
}
DRAFT_EXAMPLE = {
    "source": "model", "language": "en-US",
    "word_budget": {"target": 45, "min": 36, "max": 54, "words_per_second": 3.02},
    "voice_id": 7, "model": "gpt-4o-mini", "prompt_version": 2, "notice": "",
    "variants": [{
        "hook": "Wet socks on mile three? Not anymore.",
        "body": "TrailFlex 2 keeps your feet dry on any trail, with a grip that holds on wet rock and a fit "
                "that feels broken in from day one.",
        "call_to_action": "Tap the link and grab your pair today.",
        "script": "Wet socks on mile three? Not anymore. TrailFlex 2 keeps your feet dry on any trail, with a "
                  "grip that holds on wet rock and a fit that feels broken in from day one. Tap the link and "
                  "grab your pair today.",
        "word_count": 44, "estimated_duration_seconds": 14.6, "template_id": None, "template_name": "",
        "defaulted_variables": [],
    }],
}
TRANSLATION_EXAMPLE = {
    "source_language": "en", "kept_names": ["TrailFlex 2", "Stride"], "call_to_action": "Shop now.",
    "model": "gpt-4o-mini", "prompt_version": None,
    "translations": [{"language": "de-DE", "script": "Nasse Socken? Nicht mit TrailFlex 2 von Stride. Jetzt "
                                                     "kaufen.",
                      "call_to_action": "Jetzt kaufen.", "word_count": 11, "estimated_duration_seconds": 4.1,
                      "voice_id": 12}],
}


class ScriptWriterViewSet(OwnerScopedViewSet):
    throttle_scope = "scripts"  # reelmate.api.throttling, like every write
    request_serializers = {"draft": DraftRequestSerializer, "translate": TranslateRequestSerializer}

    def get_base_queryset(self):
        return Campaign.objects.all()

    def get_serializer_class(self):
        return self.request_serializers.get(self.action, DraftRequestSerializer)

    @extend_schema(
        summary="Draft scripts from a campaign's brief", request=DraftRequestSerializer,
        description=(
            "1-5 variants, each a hook, a body and a call to action, sized to the target duration at the "
            "chosen voice's speaking rate. With a language model configured (`source: model`) they are written "
            "from the campaign's brief (product and brand names, description, key benefit, audience, objective, "
            "platforms, call to action, brand voice) and checked before they are returned: within the word "
            "budget, no placeholder left, the product or brand named. Without one (`source: template`) the "
            "system templates that best match the brief (objective, platforms, tone, duration) are filled from "
            "it, or the template you chose. Each call to the model counts against your usage."
        ),
        responses={200: DraftsSerializer, 400: OpenApiResponse(description=(
            "`validation_error`; `brief_incomplete` (no product or brand name, or no template the brief can "
            "fill); `template_variables_missing` (`fields.variables` names them)")),
            404: OpenApiResponse(description="The campaign or template is not yours."), **WRITER_ERRORS},
        examples=[
            OpenApiExample("request", request_only=True, value={
                "campaign_id": 3, "tone": "playful", "target_duration_seconds": 15, "language": "en-US",
                "variants": 3, "voice_id": 7}),
            OpenApiExample("variants", response_only=True, value=DRAFT_EXAMPLE),
        ],
        tags=["scripts"],
    )
    @action(detail=False, methods=["post"])
    def draft(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        drafts = script_writer.draft_scripts(user=request.user, campaign=self._campaign(data.pop("campaign_id")),
                                             **data)
        return Response(DraftsSerializer(drafts).data)

    @extend_schema(
        summary="Translate a script", request=TranslateRequestSerializer,
        description=(
            "The script in each language asked for, written by the language model and checked: every "
            "`{{variable}}` kept exactly, brand and product names kept as written (given, the campaign's, and "
            "brand-like words such as ReelMate or X100), the call to action kept, the length close to the "
            "original's. Each translation names an available voice that speaks it. Without a language model "
            "this is refused: 503 `writer_unavailable`."
        ),
        responses={200: TranslationsSerializer, 404: OpenApiResponse(description="The campaign is not yours."),
                   **WRITER_ERRORS},
        examples=[
            OpenApiExample("request", request_only=True, value={
                "script": "Wet socks? Not with TrailFlex 2 from Stride. Shop now.", "languages": ["de-DE"],
                "campaign_id": 3, "call_to_action": "Shop now."}),
            OpenApiExample("translations", response_only=True, value=TRANSLATION_EXAMPLE),
        ],
        tags=["scripts"],
    )
    @action(detail=False, methods=["post"])
    def translate(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        campaign_id = data.pop("campaign_id", None)
        campaign = self._campaign(campaign_id) if campaign_id is not None else None
        return Response(TranslationsSerializer(script_writer.translate_script(user=request.user, campaign=campaign,
                                                                              **data)).data)

    def _campaign(self, pk: int) -> Campaign:
        campaign = self.get_queryset().filter(pk=pk).first()
        if campaign is None:
            raise exceptions.NotFound("No such campaign.")
        return campaign

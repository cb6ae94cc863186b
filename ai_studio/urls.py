"""AI Studio routes, under /api/ai-studio/. Each area registers its viewsets on the one router
(and may append plain views to ``urlpatterns``); paths work with and without a trailing slash."""
from django.urls import path
from rest_framework.routers import SimpleRouter

from ai_studio.api import batches, catalog, generation, scripts, variant_groups

router = SimpleRouter()
router.trailing_slash = "/?"

# Catalog
router.register("avatars", catalog.AvatarViewSet, basename="ai-avatar")
router.register("voices", catalog.VoiceViewSet, basename="ai-voice")
router.register("music", catalog.MusicViewSet, basename="music-track")
router.register("layouts", catalog.LayoutViewSet, basename="layout")
router.register("prompt-templates", catalog.PromptTemplateViewSet, basename="prompt-template")

# Generation
router.register("generate-video", generation.GenerateVideoViewSet, basename="generate-video")
router.register("generation-status", generation.GenerationStatusViewSet, basename="generation-status")
router.register("generation-jobs", generation.GenerationJobViewSet, basename="generation-job")
router.register("generated-videos", generation.GeneratedVideoViewSet, basename="generated-video")
router.register("batches", batches.BatchViewSet, basename="generation-batch")

# Script writer: /scripts/draft, /scripts/translate
router.register("scripts", scripts.ScriptWriterViewSet, basename="script-writer")

# Variant groups (A/B tests); their results are under /api/analytics/variant-groups/:id
router.register("variant-groups", variant_groups.VariantGroupViewSet, basename="variant-group")

urlpatterns = [
    *router.urls,
    path("queue-status", batches.QueueStatusView.as_view(), name="queue-status"),
]

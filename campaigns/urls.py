from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.trailing_slash = "/?"  # the seed's paths have no trailing slash; accept both forms
router.register("campaigns", api.CampaignViewSet, basename="campaign")
router.register(r"campaigns/(?P<campaign_pk>\d+)/media", api.CampaignMediaViewSet, basename="campaign-media")

urlpatterns = router.urls

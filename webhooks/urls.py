"""`/api/webhooks`, `/api/webhooks/:id` and its actions."""
from rest_framework.routers import SimpleRouter

from .api.views import WebhookEndpointViewSet

router = SimpleRouter()
router.trailing_slash = "/?"
router.register("webhooks", WebhookEndpointViewSet, basename="webhook-endpoint")

urlpatterns = router.urls

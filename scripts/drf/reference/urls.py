from rest_framework.routers import SimpleRouter

from .views import AccessLogViewSet

router = SimpleRouter()
router.register("access-logs", AccessLogViewSet)
urlpatterns = router.urls

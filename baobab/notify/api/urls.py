"""Notification API routes under /api/v1/: policies and the outbox."""

from rest_framework.routers import DefaultRouter

from baobab.notify.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register(
    "notification-policies", views.NotificationPolicyViewSet, basename="notification-policy"
)
router.register("outbox", views.OutboxViewSet, basename="outbox")

urlpatterns = router.urls

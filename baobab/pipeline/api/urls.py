"""Pipeline API routes under /api/v1/: feeds (and their uploads), runs,
events and the quarantine."""

from rest_framework.routers import DefaultRouter

from baobab.pipeline.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("feeds", views.FeedViewSet, basename="feed")
router.register("runs", views.RunViewSet, basename="run")
router.register("events", views.EventViewSet, basename="event")
router.register("quarantine", views.QuarantineViewSet, basename="quarantine")

urlpatterns = router.urls

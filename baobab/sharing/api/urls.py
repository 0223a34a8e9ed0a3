"""Sharing API routes under /api/v1/: indicators, reports, sightings,
relationships and sharing groups."""

from rest_framework.routers import DefaultRouter

from baobab.sharing.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("reports", views.ReportViewSet, basename="report")
router.register("sightings", views.SightingViewSet, basename="sighting")
router.register("relationships", views.RelationshipViewSet, basename="relationship")
router.register("sharing-groups", views.SharingGroupViewSet, basename="sharing-group")

urlpatterns = router.urls

"""Core API routes under /api/v1/: me, tokens, audit."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from baobab.core.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("tokens", views.ApiTokenViewSet, basename="token")
router.register("audit", views.AuditEntryViewSet, basename="audit")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    *router.urls,
]

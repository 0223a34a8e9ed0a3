from django.urls import path
from rest_framework.routers import DefaultRouter

from baobab.directory.api import views
from baobab.directory.api.export import DirectoryExportView
from baobab.directory.api.lookup import LookupView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("teams", views.TeamViewSet, basename="team")
router.register("organisations", views.OrganisationViewSet, basename="organisation")
router.register("contacts", views.ContactViewSet, basename="contact")
router.register("claims", views.ClaimViewSet, basename="claim")

urlpatterns = [
    path("lookup/", LookupView.as_view(), name="api-lookup"),
    path("directory/export/", DirectoryExportView.as_view(), name="api-directory-export"),
    *router.urls,
]

from django.urls import path, re_path

from baobab.directory.views import directory, editing
from baobab.directory.views import export as export_views
from baobab.directory.views import lookup as lookup_views

app_name = "directory"

_HOLDER = r"(?P<holder_type>teams|organisations)/(?P<short_name>[^/]+)"

urlpatterns: list = [
    path("", directory.directory_list, name="list"),
    path("conflicts/", directory.conflicts, name="conflicts"),
    path("lookup/", lookup_views.lookup_page, name="lookup"),
    path("export.csv", export_views.export_csv, name="export-csv"),
    path("export.json", export_views.export_json, name="export-json"),
    path("teams/new/", editing.team_create, name="team-create"),
    path("teams/<str:short_name>/", directory.team_detail, name="team"),
    path("teams/<str:short_name>/edit/", editing.team_edit, name="team-edit"),
    path("teams/<str:short_name>/delete/", editing.team_delete, name="team-delete"),
    path("organisations/new/", editing.organisation_create, name="organisation-create"),
    path("organisations/<str:short_name>/", directory.organisation_detail, name="organisation"),
    path(
        "organisations/<str:short_name>/edit/",
        editing.organisation_edit,
        name="organisation-edit",
    ),
    path(
        "organisations/<str:short_name>/delete/",
        editing.organisation_delete,
        name="organisation-delete",
    ),
    re_path(rf"^{_HOLDER}/contacts/new/$", editing.contact_create, name="contact-create"),
    path("contacts/<int:pk>/edit/", editing.contact_edit, name="contact-edit"),
    path("contacts/<int:pk>/delete/", editing.contact_delete, name="contact-delete"),
    re_path(rf"^{_HOLDER}/claims/new/$", editing.claim_create, name="claim-create"),
    path("claims/<int:pk>/edit/", editing.claim_edit, name="claim-edit"),
    path("claims/<int:pk>/delete/", editing.claim_delete, name="claim-delete"),
]

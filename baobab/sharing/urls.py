"""Pages of shared information: indicators, reports and sharing groups."""

from django.urls import path

from baobab.sharing.views import attachments, groups, indicators, reports

app_name = "sharing"

urlpatterns: list = [
    path("", indicators.indicator_list, name="indicators"),
    path("indicators/new/", indicators.indicator_create, name="indicator-create"),
    path("indicators/<int:pk>/", indicators.indicator_detail, name="indicator"),
    path("indicators/<int:pk>/edit/", indicators.indicator_edit, name="indicator-edit"),
    path("indicators/<int:pk>/delete/", indicators.indicator_delete, name="indicator-delete"),
    path("indicators/<int:pk>/seen/", indicators.indicator_seen, name="indicator-seen"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/new/", reports.report_create, name="report-create"),
    path("reports/<int:pk>/", reports.report_detail, name="report"),
    path("reports/<int:pk>/edit/", reports.report_edit, name="report-edit"),
    path("reports/<int:pk>/delete/", reports.report_delete, name="report-delete"),
    path(
        "reports/<int:pk>/files/<int:attachment>/",
        attachments.attachment_download,
        name="attachment",
    ),
    path(
        "reports/<int:pk>/files/<int:attachment>/delete/",
        attachments.attachment_delete,
        name="attachment-delete",
    ),
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_create, name="group-create"),
    path("groups/<int:pk>/", groups.group_detail, name="group"),
    path("groups/<int:pk>/edit/", groups.group_edit, name="group-edit"),
    path("groups/<int:pk>/delete/", groups.group_delete, name="group-delete"),
    path("groups/<int:pk>/teams/", groups.group_add_team, name="group-add-team"),
    path(
        "groups/<int:pk>/teams/<int:team>/remove/",
        groups.group_remove_team,
        name="group-remove-team",
    ),
]

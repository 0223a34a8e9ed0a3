"""Pages of notifications, per team: policies, message templates, what would
be sent now, and the outbox."""

from django.urls import path

from baobab.notify.views import message_templates, outbox, policies, teams

app_name = "notify"

_TEAM = "<str:team>/"

urlpatterns: list = [
    path("", teams.team_list, name="teams"),
    path(_TEAM, policies.policy_list, name="policies"),
    path(f"{_TEAM}policies/new/", policies.policy_create, name="policy-create"),
    path(f"{_TEAM}policies/<int:pk>/edit/", policies.policy_edit, name="policy-edit"),
    path(f"{_TEAM}policies/<int:pk>/delete/", policies.policy_delete, name="policy-delete"),
    path(f"{_TEAM}templates/", message_templates.template_list, name="templates"),
    path(f"{_TEAM}templates/new/", message_templates.template_create, name="template-create"),
    path(
        f"{_TEAM}templates/<int:pk>/edit/",
        message_templates.template_edit,
        name="template-edit",
    ),
    path(
        f"{_TEAM}templates/<int:pk>/delete/",
        message_templates.template_delete,
        name="template-delete",
    ),
    path(f"{_TEAM}dry-run/", outbox.dry_run, name="dry-run"),
    path(f"{_TEAM}outbox/", outbox.outbox_list, name="outbox"),
    path(f"{_TEAM}outbox/<int:pk>/", outbox.message_detail, name="message"),
    path(
        f"{_TEAM}outbox/<int:pk>/attachment/",
        outbox.message_attachment,
        name="message-attachment",
    ),
    path(f"{_TEAM}outbox/<int:pk>/resend/", outbox.message_resend, name="message-resend"),
    path(f"{_TEAM}outbox/<int:pk>/release/", outbox.message_release, name="message-release"),
    path(f"{_TEAM}outbox/<int:pk>/discard/", outbox.message_discard, name="message-discard"),
]

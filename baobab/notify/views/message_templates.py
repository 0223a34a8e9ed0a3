"""A team's message templates: the list, creating, changing (with a preview
rendered from the team's own events) and deleting them. A template that does
not render is refused by the services layer, which also checks who may and
audits."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from baobab.core.models import Team
from baobab.core.views.access import acting
from baobab.directory.forms import add_service_errors
from baobab.notify import services
from baobab.notify.choices import Language
from baobab.notify.forms import TemplateForm
from baobab.notify.models import MessageTemplate
from baobab.notify.preview import Preview, preview_template
from baobab.notify.queries import team_templates
from baobab.notify.rendering import shipped_template
from baobab.notify.views.access import get_team, get_template, member_required, require_manager

GET_POST = require_http_methods(["GET", "POST"])
PREVIEW = "preview"


def templates_url(team: Team) -> str:
    return reverse("notify:templates", args=[team.short_name])


@member_required
@require_GET
def template_list(request: HttpRequest, team: str) -> HttpResponse:
    """The team's templates and the languages Baobab ships a wording in."""
    found = get_team(request, team)
    return render(
        request,
        "notify/template_list.html",
        {
            "team": found,
            "tab": "templates",
            "templates": team_templates(found).prefetch_related("policies"),
            "shipped_languages": Language.choices,
            "can_manage": services.may_manage_notifications(acting(request), found),
        },
    )


def _editor(
    request: HttpRequest,
    team: Team,
    form: TemplateForm,
    template: MessageTemplate | None,
    *,
    title: str,
) -> HttpResponse:
    """Show the editor; "Preview" renders what was typed, "Save" saves it."""
    preview: Preview | None = None
    if request.method == "POST" and form.is_valid():
        values = form.changes()
        if request.POST.get("action") == PREVIEW:
            preview = preview_template(team, values["language"], values["subject"], values["body"])
        else:
            try:
                services.save_template(team, values, acting_user=acting(request), template=template)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("The template %(name)s was saved.") % {"name": values["name"]}
                )
                return redirect(templates_url(team))
    failed = request.method == "POST" and (bool(form.errors) and preview is None)
    return render(
        request,
        "notify/template_form.html",
        {
            "team": team,
            "tab": "templates",
            "form": form,
            "title": title,
            "preview": preview,
            "cancel_url": templates_url(team),
        },
        status=400 if failed else 200,
    )


@member_required
@GET_POST
def template_create(request: HttpRequest, team: str) -> HttpResponse:
    """A new template (the team's admins), starting from the shipped wording
    of the language asked for (``?language=fr``)."""
    found = get_team(request, team)
    require_manager(request, found)
    if request.method == "POST":
        form = TemplateForm(request.POST, team=found)
    else:
        language = request.GET.get("language", Language.EN)
        if language not in Language.values:
            language = Language.EN
        subject, body = shipped_template(language)
        form = TemplateForm(
            team=found,
            initial={"language": language, "subject": subject, "body": body},
        )
    return _editor(request, found, form, None, title=_("New message template"))


@member_required
@GET_POST
def template_edit(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Change a template (the team's admins), with a preview."""
    found = get_team(request, team)
    require_manager(request, found)
    template = get_template(found, pk)
    form = TemplateForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(template),
        team=found,
    )
    return _editor(
        request, found, form, template, title=_("Edit %(name)s") % {"name": template.name}
    )


@member_required
@GET_POST
def template_delete(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Delete a template after confirmation; its policies go back to the shipped wording."""
    found = get_team(request, team)
    require_manager(request, found)
    template = get_template(found, pk)
    if request.method == "POST":
        services.delete_template(template, acting_user=acting(request))
        messages.success(request, _("%(object)s was deleted.") % {"object": str(template)})
        return redirect(templates_url(found))
    return render(
        request,
        "notify/confirm_delete.html",
        {
            "team": found,
            "tab": "templates",
            "object": str(template),
            "title": _("Delete %(name)s") % {"name": str(template)},
            "warning": _("The policies using it go back to the wording Baobab ships."),
            "cancel_url": templates_url(found),
        },
    )

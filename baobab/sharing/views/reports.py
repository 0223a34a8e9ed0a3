"""Report pages: the list (searched by words, team, TLP, validity), a report
with its Markdown text rendered safely, its files and the objects it is
about (only those the reader may see), and the editor: writing, changing
and deleting reports and attaching files. Every change goes through the
services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from baobab.core.models import User
from baobab.core.views.access import acting
from baobab.sharing import services
from baobab.sharing.audience import audience
from baobab.sharing.filtersets import ReportFilterSet
from baobab.sharing.forms import ReportForm, show_service_errors
from baobab.sharing.models import Indicator, Report
from baobab.sharing.queries import HOLDING_MODELS, hidden_ids, visible
from baobab.sharing.services import require_sharer_of_a_team, sharing_teams
from baobab.sharing.views.access import get_visible, may_change, member_required, require_sharer
from baobab.sharing.views.deleting import confirm_delete
from baobab.sharing.views.listing import filtered_list

GET_POST = require_http_methods(["GET", "POST"])


def report_url(report: Report) -> str:
    return reverse("sharing:report", args=[report.pk])


@member_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """Reports the user may see, newest first."""
    user = acting(request)
    return filtered_list(
        request,
        ReportFilterSet,
        visible(Report, user),
        "sharing/report_list.html",
        {"tab": "reports", "can_share": sharing_teams(user).exists()},
    )


def referenced(report: Report, user: User) -> list[dict[str, Any]]:
    """The objects a report is about, as the user may know them: visible
    ones with a link where there is a page, ids Baobab does not hold as they
    are; hidden ones left out."""
    hidden = hidden_ids(report.object_refs, user)
    refs = [ref for ref in report.object_refs if ref not in hidden]
    indicators = {
        indicator.stix_id: indicator
        for indicator in visible(Indicator, user)
        .filter(stix_id__in=refs)
        .select_related("owner_team")
    }
    held: set[str] = set(indicators)
    for model in HOLDING_MODELS:
        if model is not Indicator:
            held.update(
                visible(model, user).filter(stix_id__in=refs).values_list("stix_id", flat=True)
            )
    return [{"ref": ref, "indicator": indicators.get(ref), "held": ref in held} for ref in refs]


@member_required
@require_GET
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A report: its text, files, and what it is about."""
    user = acting(request)
    report = get_visible(request, Report, pk)
    return render(
        request,
        "sharing/report_detail.html",
        {
            "tab": "reports",
            "report": report,
            "audience": audience(
                report.tlp,
                report.distribution,
                team=report.owner_team,
                group=report.sharing_group,
                recipients=report.recipient_teams.order_by("short_name"),
            ),
            "attachments": report.attachments.all(),
            "references": referenced(report, user),
            "can_change": may_change(request, report),
        },
    )


def _save(request: HttpRequest, form: ReportForm, report: Report | None) -> Report | None:
    """Write the report (and the file attached) through the services; on a
    refusal, show it on the form and return None."""
    user = acting(request)
    try:
        with transaction.atomic():
            if report is None:
                report = services.create_report(
                    form.owner(),
                    acting_user=user,
                    recipient_teams=form.recipients(),
                    **form.fields_for_service(),
                )
            else:
                report = services.update_report(
                    report,
                    form.fields_for_service(),
                    acting_user=user,
                    recipient_teams=form.recipients(),
                )
            upload = form.cleaned_data.get("attachment")
            if upload is not None:
                services.attach_file(report, upload, acting_user=user)
    except ValidationError as exc:
        show_service_errors(form, exc)
        return None
    return report


def _previewing(request: HttpRequest) -> bool:
    """The editor's "Preview" button: show the text rendered, save nothing."""
    return request.method == "POST" and "preview" in request.POST


def _body(request: HttpRequest) -> str:
    return str(request.POST.get("body", ""))


def _editor(
    request: HttpRequest,
    form: ReportForm,
    report: Report | None,
    *,
    title: str,
    preview: str | None = None,
) -> HttpResponse:
    return render(
        request,
        "sharing/report_form.html",
        {
            "tab": "reports",
            "form": form,
            "report": report,
            "attachments": report.attachments.all() if report is not None else [],
            "title": title,
            "cancel_url": report_url(report) if report else reverse("sharing:reports"),
            "preview": preview,
        },
        status=400 if request.method == "POST" and preview is None else 200,
    )


@member_required
@GET_POST
def report_create(request: HttpRequest) -> HttpResponse:
    """Write a new report for one of the user's teams."""
    require_sharer_of_a_team(acting(request))
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        user=acting(request),
    )
    if _previewing(request):
        return _editor(request, form, None, title=_("Write a report"), preview=_body(request))
    if request.method == "POST" and form.is_valid():
        report = _save(request, form, None)
        if report is not None:
            messages.success(request, _("The report is shared."))
            return redirect(report_url(report))
    return _editor(request, form, None, title=_("Write a report"))


@member_required
@GET_POST
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a report or add a file (an analyst of its team)."""
    report = get_visible(request, Report, pk)
    require_sharer(request, report)
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        user=acting(request),
        instance=report,
    )
    title = _("Edit %(title)s") % {"title": report.title}
    if _previewing(request):
        return _editor(request, form, report, title=title, preview=_body(request))
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, report)
        if saved is not None:
            messages.success(request, _("The report was saved."))
            return redirect(report_url(saved))
    return _editor(request, form, report, title=title)


@member_required
@GET_POST
def report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete a report after confirmation, with its versions and files."""
    report = get_visible(request, Report, pk)
    require_sharer(request, report)
    return confirm_delete(
        request,
        name=report.title,
        delete=lambda: services.delete_report(report, acting_user=acting(request)),
        tab="reports",
        warning=_("Its versions and its files go with it."),
        cancel_url=report_url(report),
        done_url=reverse("sharing:reports"),
    )

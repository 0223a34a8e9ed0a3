"""A team's outbox: its messages (newest first, by status), a message as it
was or will be sent with its delivery history, and resending, releasing or
discarding one; and the dry run, which shows what the team would send now
without storing or sending anything."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from baobab.core.choices import TLP
from baobab.core.models import Team
from baobab.core.views.access import acting
from baobab.notify import outbox, services
from baobab.notify.choices import MessageStatus
from baobab.notify.filtersets import OutboxFilterSet
from baobab.notify.models import OutboxMessage
from baobab.notify.queries import outbox_rows
from baobab.notify.views.access import get_message, get_team, member_required, require_outbox_actor

PAGE_SIZE = 50


def message_url(message: OutboxMessage) -> str:
    return reverse("notify:message", args=[message.team.short_name, message.pk])


@member_required
@require_GET
def outbox_list(request: HttpRequest, team: str) -> HttpResponse:
    """The team's messages, newest first, filtered by status."""
    found = get_team(request, team)
    filterset = OutboxFilterSet(
        request.GET or None, queryset=outbox_rows(OutboxMessage.objects.filter(team=found))
    )
    invalid = filterset.is_bound and not filterset.is_valid()
    rows = OutboxMessage.objects.none() if invalid else filterset.qs
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/outbox_list.html",
        {"team": found, "tab": "outbox", "filterset": filterset, "page": page},
        status=400 if invalid else 200,
    )


@member_required
@require_GET
def message_detail(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """A message: its text, attachment, status and delivery attempts, with the
    actions its status allows."""
    found = get_team(request, team)
    message = get_message(found, pk)
    can_act = services.may_act_on_outbox(acting(request), found)
    return render(
        request,
        "notify/message_detail.html",
        {
            "team": found,
            "tab": "outbox",
            "message": message,
            "can_act": can_act,
            "can_resend": message.status in (MessageStatus.FAILED, MessageStatus.SENT),
            "is_held": message.status == MessageStatus.HELD,
        },
    )


@member_required
@require_GET
def message_attachment(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """A message's attachment, as a download."""
    found = get_team(request, team)
    message = get_message(found, pk)
    if not message.attachment_name:
        return redirect(message_url(message))
    response = HttpResponse(
        bytes(message.attachment),
        content_type=message.attachment_type or "application/octet-stream",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=message.attachment_name
    )
    return response


def _act(request: HttpRequest, team: str, pk: int) -> tuple[Team, OutboxMessage]:
    found = get_team(request, team)
    message = get_message(found, pk)
    require_outbox_actor(request, found)
    return found, message


@member_required
@require_POST
def message_resend(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Send a message again: a failed one goes back in the queue, a sent one is
    copied as a new message."""
    _team, message = _act(request, team, pk)
    try:
        sent = services.resend(message, acting_user=acting(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(message_url(message))
    if sent.pk == message.pk:
        messages.success(
            request, _("%(reference)s is queued again.") % {"reference": message.reference}
        )
    else:
        messages.success(
            request,
            _("%(reference)s is queued as %(copy)s.")
            % {"reference": message.reference, "copy": sent.reference},
        )
    return redirect(message_url(sent))


@member_required
@require_POST
def message_release(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Send a message held for review."""
    _team, message = _act(request, team, pk)
    try:
        services.release(message, acting_user=acting(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(reference)s was released.") % {"reference": message.reference}
        )
    return redirect(message_url(message))


@member_required
@require_POST
def message_discard(request: HttpRequest, team: str, pk: int) -> HttpResponse:
    """Never send a message held for review."""
    _team, message = _act(request, team, pk)
    try:
        services.discard(message, acting_user=acting(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("%(reference)s was discarded.") % {"reference": message.reference}
        )
    return redirect(message_url(message))


@member_required
@require_GET
def dry_run(request: HttpRequest, team: str) -> HttpResponse:
    """What the team would send now, whatever its policies' intervals: the
    messages with their recipient, subject, events and TLP, and the policies
    skipped with the reason. Nothing is stored or sent."""
    found = get_team(request, team)
    report = outbox.run(team=found, force=True, dry_run=True)
    rows = [(item, TLP(item.tlp).label, MessageStatus(item.status).label) for item in report.built]
    return render(
        request,
        "notify/dry_run.html",
        {"team": found, "tab": "dry-run", "rows": rows, "skipped": report.skipped},
    )

"""The sharing pages' deletions: a confirmation page, then the service's
deletion on POST (a refusal shown on the object's page)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _


def confirm_delete(
    request: HttpRequest,
    *,
    name: str,
    delete: Callable[[], None],
    tab: str,
    warning: str,
    cancel_url: str,
    done_url: str,
) -> HttpResponse:
    """Ask before deleting ``name``; on POST, ``delete`` it and go to ``done_url``."""
    if request.method == "POST":
        try:
            delete()
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect(cancel_url)
        messages.success(request, _("%(object)s was deleted.") % {"object": name})
        return redirect(done_url)
    return render(
        request,
        "sharing/confirm_delete.html",
        {
            "tab": tab,
            "object": name,
            "title": _("Delete %(object)s") % {"object": name},
            "warning": warning,
            "cancel_url": cancel_url,
        },
    )

"""The "Who handles this?" page: a query box and the answer, with the claim
that matched, why, and the contacts the user may see."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from baobab.directory.index import LookupResult, lookup, unsupported_message
from baobab.directory.lookup import UnsupportedQuery
from baobab.directory.views.access import member_required


@member_required
@require_GET
def lookup_page(request: HttpRequest) -> HttpResponse:
    """Show the look-up form and, for ``?q=…``, the answer or what was expected."""
    query = request.GET.get("q", "").strip()
    result: LookupResult | None = None
    error = ""
    if query:
        try:
            result = lookup(query, request.user)
        except UnsupportedQuery as exc:
            error = unsupported_message(exc)
    return render(
        request,
        "directory/lookup.html",
        {"query": query, "result": result, "error": error},
        status=400 if error else 200,
    )

"""One shape for the sharing app's searchable lists: a filterset over what
the user may see, newest first, fifty to a page; 400 with the form's
errors when a filter is not valid."""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

PAGE_SIZE = 50


def filtered_list(
    request: HttpRequest,
    filterset_class: type[django_filters.FilterSet],
    visible_rows: QuerySet[Any],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Render ``template`` with the filtered page of ``visible_rows``."""
    filterset = filterset_class(
        request.GET or None,
        queryset=visible_rows.select_related("owner_team", "sharing_group"),
    )
    invalid = filterset.is_bound and not filterset.is_valid()
    rows = visible_rows.none() if invalid else filterset.qs
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        template,
        {**context, "filterset": filterset, "page": page},
        status=400 if invalid else 200,
    )

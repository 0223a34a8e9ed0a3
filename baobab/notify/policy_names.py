"""The names a policy's lists may hold — RSIT types and taxonomies, feed names,
event field names — checked the same way by the policy form and the API, so
a typo is refused instead of silently matching nothing."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from baobab.pipeline.choices import TAXONOMY_OF_TYPE, Taxonomy
from baobab.pipeline.fields import kind_of
from baobab.pipeline.models import Feed

# The list fields of NotificationPolicy.
LIST_FIELDS = ("types", "taxonomies", "feeds", "group_by")


def unknown_names(field: str, names: Iterable[str]) -> list[str]:
    """The names of ``names`` that ``field`` (one of :data:`LIST_FIELDS`) cannot hold."""
    wanted = list(names)
    if field == "types":
        return [name for name in wanted if name not in TAXONOMY_OF_TYPE]
    if field == "taxonomies":
        return [name for name in wanted if name not in Taxonomy.values]
    if field == "feeds":
        known = set(Feed.objects.filter(name__in=wanted).values_list("name", flat=True))
        return [name for name in wanted if name not in known]
    if field == "group_by":
        return [name for name in wanted if kind_of(name) is None]
    raise ValueError(field)


def unknown_message(field: str, unknown: list[str]) -> str:
    """Why a list of ``field`` was refused."""
    names = ", ".join(unknown)
    if field == "types":
        return _("Unknown classification types: %(names)s.") % {"names": names}
    if field == "taxonomies":
        return _("Unknown taxonomies: %(names)s.") % {"names": names}
    if field == "feeds":
        return _("Unknown feeds: %(names)s.") % {"names": names}
    return _("Unknown event fields: %(names)s.") % {"names": names}

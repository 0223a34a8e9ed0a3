"""Reading a collection's versions a page at a time: TAXII's filters
(``added_after``, ``match[id|type|version|spec_version]``), its paging
(``limit``, ``next``, ``more``) and the opaque cursors ``next`` carries.

Pages follow the order versions reached Baobab, ``(added_at, id)``, which
an index serves; a cursor is the position of the last row of a page. It is
encrypted and authenticated with the site's secret key: it reveals nothing
(not even how many rows, seen or not, lie between two pages) and cannot be
forged.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
import os
import struct
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from baobab.sharing.models import ObjectVersion
from baobab.sharing.queries import Who, seen_versions
from baobab.sharing.stix.render import parse_stix_time, stix_time
from baobab.sharing.taxii.media import VERSION, TaxiiError

MAX_PAGE = 1000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_NONCE, _TAG = 8, 12
_POSITION = struct.Struct(">qQ")  # microseconds since the epoch, row id


def _bad(description: str) -> TaxiiError:
    return TaxiiError(400, _("Bad request"), description)


# --- cursors ---------------------------------------------------------------


def _keystream(nonce: bytes) -> bytes:
    return salted_hmac("baobab.taxii.cursor.stream", nonce, algorithm="sha256").digest()


def _tag(data: bytes) -> bytes:
    return salted_hmac("baobab.taxii.cursor.tag", data, algorithm="sha256").digest()[:_TAG]


def encode_cursor(added_at: dt.datetime, row_id: int) -> str:
    """The opaque ``next`` value for the position after this row."""
    plain = _POSITION.pack((added_at - _EPOCH) // _MICROSECOND, row_id)
    nonce = os.urandom(_NONCE)
    sealed = bytes(a ^ b for a, b in zip(plain, _keystream(nonce), strict=False))
    token = nonce + sealed + _tag(nonce + sealed)
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[dt.datetime, int]:
    """The position a ``next`` value stands for; 400 if it was not ours."""
    try:
        token = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise _bad(_("The next value is not one this server gave.")) from None
    if len(token) != _NONCE + _POSITION.size + _TAG:
        raise _bad(_("The next value is not one this server gave."))
    nonce, sealed, tag = token[:_NONCE], token[_NONCE:-_TAG], token[-_TAG:]
    if not hmac.compare_digest(tag, _tag(nonce + sealed)):
        raise _bad(_("The next value is not one this server gave."))
    plain = bytes(a ^ b for a, b in zip(sealed, _keystream(nonce), strict=False))
    micros, row_id = _POSITION.unpack(plain)
    return _EPOCH + micros * _MICROSECOND, row_id


# --- filters ---------------------------------------------------------------


def _listed(params: QueryDict, name: str) -> list[str]:
    return [item.strip() for value in params.getlist(name) for item in value.split(",") if item]


def _timestamp(text: str, name: str) -> dt.datetime:
    try:
        return parse_stix_time(text)
    except ValueError:
        raise _bad(
            _("%(name)s needs a timestamp such as 2024-05-01T06:00:00.000Z, not %(value)s.")
            % {"name": name, "value": text}
        ) from None


@dataclass(frozen=True)
class Filters:
    """What a request asks for, read from its query parameters."""

    added_after: dt.datetime | None = None
    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    spec_versions: list[str] = field(default_factory=list)
    limit: int = MAX_PAGE
    position: tuple[dt.datetime, int] | None = None

    @classmethod
    def read(cls, params: QueryDict) -> Filters:
        """The filters of a request; 400 for a value the server cannot read."""
        added_after = params.get("added_after")
        limit_text = params.get("limit", "")
        limit = MAX_PAGE
        if limit_text:
            try:
                limit = int(limit_text)
            except ValueError:
                raise _bad(_("limit must be a whole number.")) from None
            if limit < 1:
                raise _bad(_("limit must be at least 1."))
        versions = _listed(params, "match[version]")
        for value in versions:
            if value not in {"first", "last", "all"}:
                _timestamp(value, "match[version]")
        next_text = params.get("next")
        return cls(
            added_after=_timestamp(added_after, "added_after") if added_after else None,
            ids=_listed(params, "match[id]"),
            types=_listed(params, "match[type]"),
            versions=versions,
            spec_versions=_listed(params, "match[spec_version]"),
            limit=min(limit, MAX_PAGE),
            position=decode_cursor(next_text) if next_text else None,
        )

    def version_q(self) -> Q:
        """Which versions of each object: the last (by default), the first,
        all, or those modified at the given times."""
        values = self.versions or ["last"]
        if "all" in values:
            return Q()
        chosen = Q(pk__in=[])
        if "last" in values:
            chosen |= Q(is_current=True)
        if "first" in values:
            earlier = ObjectVersion.objects.filter(
                owner_team_id=OuterRef("owner_team_id"),
                stix_id=OuterRef("stix_id"),
                modified__lt=OuterRef("modified"),
            )
            chosen |= ~Q(Exists(earlier))
        stamps = [
            _timestamp(value, "match[version]")
            for value in values
            if value not in {"first", "last"}
        ]
        if stamps:
            chosen |= Q(modified__in=stamps)
        return chosen

    def apply(self, versions: QuerySet[ObjectVersion], *, all_versions: bool = False) -> Any:
        """``versions`` narrowed by the filters, in paging order, one row
        more than a page (to tell whether there are more)."""
        if self.spec_versions and VERSION not in self.spec_versions:
            return versions.none()  # Baobab holds STIX 2.1 content only
        if not all_versions:
            versions = versions.filter(self.version_q())
        if self.ids:
            versions = versions.filter(stix_id__in=self.ids)
        if self.types:
            versions = versions.filter(stix_type__in=self.types)
        if self.added_after is not None:
            versions = versions.filter(added_at__gt=self.added_after)
        if self.position is not None:
            added_at, row_id = self.position
            # Written so that the (added_at, id) index serves the range.
            versions = versions.filter(added_at__gte=added_at).filter(
                Q(added_at__gt=added_at) | Q(id__gt=row_id)
            )
        return versions.order_by("added_at", "id")[: self.limit + 1]


# --- pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """The versions of one page as the reader may receive them."""

    rows: list[tuple[ObjectVersion, dict[str, Any]]]
    more: bool
    next: str | None

    def headers(self) -> dict[str, str]:
        """``X-TAXII-Date-Added-First`` and ``-Last`` for the page."""
        if not self.rows:
            return {}
        return {
            "X-TAXII-Date-Added-First": stix_time(self.rows[0][0].added_at),
            "X-TAXII-Date-Added-Last": stix_time(self.rows[-1][0].added_at),
        }

    def paging(self) -> dict[str, Any]:
        """``more`` and, when there is more, ``next``."""
        return {"more": self.more, "next": self.next} if self.more else {"more": False}


def fetch_page(
    versions: QuerySet[ObjectVersion], filters: Filters, who: Who, *, all_versions: bool = False
) -> Page:
    """One page of ``versions`` (already the collection's scope and what
    ``who`` may see) with the filters applied."""
    rows = list(filters.apply(versions, all_versions=all_versions))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    cursor = encode_cursor(rows[-1].added_at, rows[-1].pk) if more else None
    return Page(rows=seen_versions(rows, who), more=more, next=cursor)

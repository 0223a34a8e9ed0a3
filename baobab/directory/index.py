"""The look-up index of this process: loaded from the database, kept fresh,
and answering "who handles this?" for a given user.

One :class:`DirectoryIndex` is cached per process. It is dropped at once when
this process changes the directory (``index_state.on_change``) and rebuilt
when another process has bumped the shared generation counter, which is read
at most every ``LOOKUP_INDEX_RECHECK_SECONDS``. Contacts are loaded with what
the visibility rule needs, so a warm look-up runs no SQL at all.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from baobab.core.choices import TeamType
from baobab.core.models import Team
from baobab.core.visibility import Viewer, can_see, viewer_for
from baobab.directory import index_state
from baobab.directory.choices import ClaimKind, OrganisationKind
from baobab.directory.lookup import (
    ORGANISATION,
    TEAM,
    Address,
    ClaimRecord,
    DelegatedRecord,
    HolderRecord,
    IpToAsn,
    LookupIndex,
    Match,
    Reason,
    Resolution,
    UnsupportedQuery,
    parse_query,
    render_reason,
)
from baobab.directory.models import ConstituencyClaim, Contact, DelegatedRange, Organisation

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from baobab.core.models import User

QUERY_KIND_LABELS = {
    "ip": gettext_lazy("IP address"),
    "prefix": gettext_lazy("IP prefix"),
    "asn": gettext_lazy("AS number"),
    "domain": gettext_lazy("Domain name"),
    "url": gettext_lazy("URL"),
    "country": gettext_lazy("Country code"),
}
STEP_LABELS = {
    "prefix": gettext_lazy("IP prefix claim"),
    "asn": gettext_lazy("AS number claim"),
    "domain": gettext_lazy("Domain claim"),
    "country": gettext_lazy("Country claim"),
    "national": gettext_lazy("National CSIRT"),
    "regional": gettext_lazy("Regional coordinator"),
    "none": gettext_lazy("Nobody found"),
}


@dataclass(slots=True)
class ContactSummary:
    """A contact as the look-up shows it, with what the visibility rule judges
    (it has the fields of ``core.visibility.SharedLike``). Not to be modified."""

    id: int
    name: str
    title: str
    kind: str
    emails: tuple[str, ...]
    phones: tuple[dict[str, str], ...]
    languages: tuple[str, ...]
    is_24x7: bool
    pgp_fingerprint: str
    pgp_expires_at: datetime | None
    owner_team_id: int
    tlp: str
    distribution: str
    sharing_group_id: int | None
    recipient_team_ids: frozenset[int]

    @property
    def tlp_label(self) -> str:
        """``TLP:GREEN`` and the like."""
        return f"TLP:{self.tlp.upper()}"

    @property
    def fingerprint_display(self) -> str:
        """The PGP fingerprint in groups of four, as people read them out."""
        fingerprint = self.pgp_fingerprint
        return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))

    @property
    def pgp_expired(self) -> bool:
        """Whether the PGP key has expired."""
        return self.pgp_expires_at is not None and self.pgp_expires_at <= timezone.now()

    def as_dict(self) -> dict[str, Any]:
        """The contact as JSON-ready data (the API's and the CLI's shape)."""
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "emails": list(self.emails),
            "phones": [dict(phone) for phone in self.phones],
            "languages": list(self.languages),
            "is_24x7": self.is_24x7,
            "pgp_fingerprint": self.pgp_fingerprint,
            "pgp_expires_at": self.pgp_expires_at.isoformat() if self.pgp_expires_at else None,
            "tlp": self.tlp,
        }


@dataclass(frozen=True)
class DirectoryIndex:
    """The look-up index with the contacts of every holder, as of a generation."""

    lookup: LookupIndex
    contacts: dict[tuple[str, int], tuple[ContactSummary, ...]]
    generation: int
    built_on: date
    build_seconds: float = 0.0


@dataclass(frozen=True)
class HolderView:
    """A team or organisation in an answer, with the contacts the user may see."""

    kind: str
    id: int
    short_name: str
    name: str
    category: str
    category_label: str
    country: str
    email: str
    phone_24x7: str
    contacts: list[ContactSummary]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "short_name": self.short_name,
            "name": self.name,
            "type": self.category,
            "type_label": self.category_label,
            "country": self.country,
            "email": self.email,
            "phone_24x7": self.phone_24x7,
            "contacts": [contact.as_dict() for contact in self.contacts],
        }


@dataclass(frozen=True)
class MatchView:
    """One responsible holder in an answer: the claim that matched and why."""

    basis: str
    basis_label: str
    reason: str
    claim: ClaimRecord | None
    holder: HolderView
    coordinating_team: HolderView | None

    @property
    def claim_kind_label(self) -> str:
        """The matched claim's kind in words ("IP prefix"), or empty."""
        if self.claim is None:
            return ""
        try:
            return str(ClaimKind(self.claim.kind).label)
        except ValueError:
            return self.claim.kind

    @property
    def holders(self) -> list[HolderView]:
        """The holder, then its coordinating team when there is one."""
        return (
            [self.holder]
            if self.coordinating_team is None
            else [self.holder, self.coordinating_team]
        )

    def as_dict(self) -> dict[str, Any]:
        claim = self.claim
        return {
            "basis": self.basis,
            "basis_label": self.basis_label,
            "reason": self.reason,
            "claim": None
            if claim is None
            else {
                "id": claim.id,
                "kind": claim.kind,
                "value": claim.value,
                "holder_kind": claim.holder_kind,
                "holder_id": claim.holder_id,
            },
            "holder": self.holder.as_dict(),
            "coordinating_team": self.coordinating_team.as_dict()
            if self.coordinating_team
            else None,
        }


@dataclass(frozen=True)
class LookupResult:
    """The answer to one query for one user, ready for a page, the API or the CLI."""

    query: str
    kind: str
    kind_label: str
    normalised: str
    step: str
    step_label: str
    conflict: bool
    country: str | None
    country_reason: str
    asn: int | None
    matches: list[MatchView] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data."""
        return {
            "query": self.query,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "normalised": self.normalised,
            "step": self.step,
            "step_label": self.step_label,
            "conflict": self.conflict,
            "country": self.country,
            "country_reason": self.country_reason,
            "asn": self.asn,
            "matches": [match.as_dict() for match in self.matches],
        }


# --- loading ----------------------------------------------------------------


def _load_holders() -> list[HolderRecord]:
    teams = Team.objects.values_list(
        "id", "short_name", "name", "team_type", "country", "email", "phone_24x7"
    )
    organisations = Organisation.objects.values_list(
        "id", "short_name", "name", "kind", "country", "managed_by_id"
    )
    holders = [
        HolderRecord(TEAM, pk, short, name, kind, country, None, email, phone)
        for pk, short, name, kind, country, email, phone in teams
    ]
    holders.extend(
        HolderRecord(ORGANISATION, pk, short, name, kind, country, managed_by)
        for pk, short, name, kind, country, managed_by in organisations
    )
    return holders


def _load_claims() -> list[ClaimRecord]:
    rows = ConstituencyClaim.objects.values_list(
        "id", "kind", "value", "team_id", "organisation_id", "valid_from", "valid_until"
    )
    return [
        ClaimRecord(
            pk,
            kind,
            value,
            TEAM if team_id is not None else ORGANISATION,
            team_id if team_id is not None else organisation_id,
            valid_from,
            valid_until,
        )
        for pk, kind, value, team_id, organisation_id, valid_from, valid_until in rows
    ]


def _load_delegated() -> list[DelegatedRecord]:
    records = []
    for registry, kind, first, size, country in DelegatedRange.objects.values_list(
        "registry", "kind", "first", "size", "country"
    ).iterator(chunk_size=10_000):
        if size.isdigit():
            records.append(DelegatedRecord(registry, kind, first, int(size), country))
    return records


def _load_contacts() -> dict[tuple[str, int], tuple[ContactSummary, ...]]:
    recipients: dict[int, set[int]] = defaultdict(set)
    for contact_id, team_id in Contact.recipient_teams.through.objects.values_list(
        "contact_id", "team_id"
    ):
        recipients[contact_id].add(team_id)
    grouped: dict[tuple[str, int], list[ContactSummary]] = defaultdict(list)
    for row in Contact.objects.order_by("-is_24x7", "name", "id").values(
        "id", "team_id", "organisation_id", "name", "title", "kind", "emails", "phones",
        "languages", "is_24x7", "pgp_fingerprint", "pgp_expires_at", "owner_team_id", "tlp",
        "distribution", "sharing_group_id",
    ):  # fmt: skip
        key = (
            (TEAM, row["team_id"])
            if row["team_id"] is not None
            else (ORGANISATION, row["organisation_id"])
        )
        grouped[key].append(
            ContactSummary(
                id=row["id"],
                name=row["name"],
                title=row["title"],
                kind=row["kind"],
                emails=tuple(str(email) for email in row["emails"] or ()),
                phones=tuple(
                    {str(k): str(v) for k, v in phone.items()}
                    if isinstance(phone, dict)
                    else {"number": str(phone)}
                    for phone in row["phones"] or ()
                ),
                languages=tuple(str(language) for language in row["languages"] or ()),
                is_24x7=row["is_24x7"],
                pgp_fingerprint=row["pgp_fingerprint"],
                pgp_expires_at=row["pgp_expires_at"],
                owner_team_id=row["owner_team_id"],
                tlp=row["tlp"],
                distribution=row["distribution"],
                sharing_group_id=row["sharing_group_id"],
                recipient_team_ids=frozenset(recipients.get(row["id"], ())),
            )
        )
    return {key: tuple(contacts) for key, contacts in grouped.items()}


def load_index(*, ip_to_asn: IpToAsn | None = None) -> DirectoryIndex:
    """Build a fresh index from the database (a handful of queries)."""
    started = time.perf_counter()
    # Read the generation first: a change committed while loading makes the
    # next check see a newer generation and rebuild.
    generation = index_state.current_generation()
    today = timezone.localdate()
    lookup_index = LookupIndex(
        _load_holders(), _load_claims(), _load_delegated(), ip_to_asn=ip_to_asn, today=today
    )
    return DirectoryIndex(
        lookup=lookup_index,
        contacts=_load_contacts(),
        generation=generation,
        built_on=today,
        build_seconds=time.perf_counter() - started,
    )


# --- the per-process cache ---------------------------------------------------


class _Cache:
    """This process's index, when it was last checked, and the local epoch."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: DirectoryIndex | None = None
        self.checked_at = 0.0
        self.epoch = 0
        self.ip_to_asn: IpToAsn | None = None


_cache = _Cache()


def reset_index() -> None:
    """Forget this process's index; the next look-up rebuilds it."""
    with _cache.lock:
        _cache.index = None
        _cache.epoch += 1


index_state.on_change(reset_index)


def set_ip_to_asn(mapping: IpToAsn | None) -> None:
    """Plug in (or remove) the IP → ASN mapping used for IP look-ups."""
    with _cache.lock:
        _cache.ip_to_asn = mapping
        _cache.epoch += 1  # an index being built with the old mapping is not kept
        if _cache.index is not None:
            _cache.index = replace(_cache.index, lookup=_cache.index.lookup.with_ip_to_asn(mapping))


def get_index() -> DirectoryIndex:
    """This process's current index, rebuilt when the directory has changed."""
    index = _cache.index
    now = time.monotonic()
    if (
        index is not None
        and now - _cache.checked_at < settings.LOOKUP_INDEX_RECHECK_SECONDS
        and index.built_on == timezone.localdate()
    ):
        return index
    with _cache.lock:
        index, epoch = _cache.index, _cache.epoch
        if (
            index is not None
            and index.built_on == timezone.localdate()
            and index.generation == index_state.current_generation()
        ):
            _cache.checked_at = time.monotonic()
            return index
        ip_to_asn = _cache.ip_to_asn
    fresh = load_index(ip_to_asn=ip_to_asn)
    with _cache.lock:
        if _cache.epoch == epoch:  # no change in this process while loading
            _cache.index = fresh
            _cache.checked_at = time.monotonic()
    return fresh


# --- answering ---------------------------------------------------------------


def _category_label(holder: HolderRecord) -> str:
    choices = TeamType if holder.kind == TEAM else OrganisationKind
    try:
        return str(choices(holder.category).label)
    except ValueError:
        return holder.category


def _holder_view(holder: HolderRecord, index: DirectoryIndex, viewer: Viewer | None) -> HolderView:
    contacts = index.contacts.get(holder.key, ())
    visible = [
        contact
        for contact in contacts
        if viewer is None or can_see(viewer, contact, contact.recipient_team_ids)
    ]
    return HolderView(
        kind=holder.kind,
        id=holder.id,
        short_name=holder.short_name,
        name=holder.name,
        category=holder.category,
        category_label=_category_label(holder),
        country=holder.country,
        email=holder.email,
        phone_24x7=holder.phone_24x7,
        contacts=visible,
    )


def _match_view(match: Match, index: DirectoryIndex, viewer: Viewer | None) -> MatchView:
    return MatchView(
        basis=match.basis,
        basis_label=str(STEP_LABELS[match.basis]),
        reason=render_reason(match.reason, _),
        claim=match.claim,
        holder=_holder_view(match.holder, index, viewer),
        coordinating_team=_holder_view(match.coordinating_team, index, viewer)
        if match.coordinating_team is not None
        else None,
    )


def unsupported_message(error: UnsupportedQuery) -> str:
    """The translated message of an unsupported query: what was given, what is expected."""
    return f"{render_reason(error.reason, _)} {render_reason(error.expected, _)}"


def translate_reason(reason: Reason | None) -> str:
    """A look-up reason in the active language (empty for None)."""
    return render_reason(reason, _) if reason is not None else ""


def lookup(text: str, user: User | AnonymousUser | None = None) -> LookupResult:
    """Answer ``text`` for ``user``: the contacts are those the user may see.

    ``user`` None is the operator at the command line, who sees every contact.
    Raises :class:`UnsupportedQuery` for a query that is none of the kinds the
    look-up knows; :func:`unsupported_message` gives its translated message.
    """
    query = parse_query(text)
    index = get_index()
    answer = index.lookup.lookup(query)
    viewer = viewer_for(user) if user is not None else None
    resolution: Resolution = answer.resolution
    return LookupResult(
        query=text.strip(),
        kind=query.kind,
        kind_label=str(QUERY_KIND_LABELS[query.kind]),
        normalised=query.normalised,
        step=resolution.step,
        step_label=str(STEP_LABELS[resolution.step]),
        conflict=resolution.conflict,
        country=resolution.country,
        country_reason=translate_reason(resolution.country_reason),
        asn=resolution.asn,
        matches=[_match_view(match, index, viewer) for match in resolution.matches],
    )


def resolve_addresses(addresses: Iterable[str | Address | None]) -> list[Resolution | None]:
    """Route a batch of IP addresses with this process's index (for the pipeline)."""
    return get_index().lookup.resolve_addresses(addresses)

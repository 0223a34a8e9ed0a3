"""RIR delegated-extended statistics: the country of registration of every
address range and AS number a registry has handed out, the directory's
country fallback.

The file (``delegated-<registry>-extended-YYYYMMDD``, the RIR statistics
exchange format) has comment lines starting with ``#``, a version line
``version|registry|serial|records|startdate|enddate|UTCoffset``, summary
lines ``registry|*|type|*|count|summary`` and one record per line::

    registry|cc|type|start|value|date|status[|opaque-id[|extensions…]]

``type`` is ``asn``, ``ipv4`` or ``ipv6``; ``value`` is the number of AS
numbers or IPv4 addresses, or the IPv6 prefix length; ``date`` is
``YYYYMMDD`` (``00000000`` or empty when unknown). Only ``allocated`` and
``assigned`` records with a country are kept (``available`` and
``reserved`` ones, and those with the unknown country ``ZZ``, are counted as
skipped); a malformed line is refused with its number and reason and the
rest goes on.

The import replaces every stored row of the registries the file covers, in
one transaction (so running it twice leaves the same rows), writing in bulk:
a full registry file of some 300,000 lines takes seconds. It writes one
audit entry per registry, not one per row.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from baobab.core import audit
from baobab.core.models import User
from baobab.directory.choices import DelegatedKind
from baobab.directory.importers.common import Problem, UnusableFileError, Where, read_text
from baobab.directory.index_state import mark_changed
from baobab.directory.models import DelegatedRange

MAX_DELEGATED_FILE_BYTES = 512 * 1024 * 1024
KEPT_STATUSES = frozenset({"allocated", "assigned"})
UNKNOWN_COUNTRY = "ZZ"
BATCH_SIZE = 10_000
MAX_ASN = 4_294_967_295
# Plain strings, not the enum members: compared 300,000 times per file.
IPV4, IPV6 = str(DelegatedKind.IPV4.value), str(DelegatedKind.IPV6.value)
KINDS = frozenset(str(kind) for kind in DelegatedKind.values)
_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_REGISTRY = re.compile(r"^[a-z][a-z0-9-]{0,15}$")


class BadLineError(ValueError):
    """A record line that cannot be read, with the reason."""


@dataclass
class DelegatedReport:
    """What one delegated-statistics import did."""

    source: str
    header_registry: str = ""
    registries: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    skipped: int = 0
    summary_lines: int = 0
    refused: list[Problem] = field(default_factory=list)
    dry_run: bool = False

    @property
    def stored_total(self) -> int:
        """How many ranges were stored, all kinds together."""
        return sum(self.stored.values())

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the ``--json`` output)."""
        return {
            "source": self.source,
            "header_registry": self.header_registry,
            "registries": self.registries,
            "dry_run": self.dry_run,
            "counts": {
                "stored": self.stored_total,
                **{f"stored_{kind}": count for kind, count in sorted(self.stored.items())},
                "replaced": self.replaced,
                "skipped": self.skipped,
                "summary_lines": self.summary_lines,
                "refused": len(self.refused),
            },
            "refused": [
                {"line": problem.where.number, "reason": problem.reason} for problem in self.refused
            ],
        }


def _date(text: str) -> dt.date | None:
    value = text.strip()
    if not value or value.strip("0") == "":
        return None
    if len(value) != 8 or not value.isdigit():
        raise BadLineError(_("The date %(value)s is not YYYYMMDD.") % {"value": value})
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise BadLineError(_("The date %(value)s is not a real date.") % {"value": value}) from exc


def _integer(text: str, what: str) -> int:
    """``text`` as a whole number; ``what`` names it in the refusal (translated only then)."""
    value = text.strip()
    if not value.isdigit():
        labels = {
            "count": _("address count"),
            "length": _("prefix length"),
            "asn": _("AS number"),
            "asn-count": _("AS number count"),
        }
        raise BadLineError(
            _("The %(what)s %(value)s is not a number.") % {"what": labels[what], "value": text}
        )
    return int(value)


def _range(kind: str, start: str, value: str) -> tuple[str, str]:
    """The canonical first address/ASN and size of a record, or BadLineError."""
    if kind == IPV4:
        try:
            first = ipaddress.IPv4Address(start.strip())
        except ValueError as exc:
            raise BadLineError(_("%(value)s is not an IPv4 address.") % {"value": start}) from exc
        count = _integer(value, "count")
        if count < 1 or int(first) + count > 2**32:
            raise BadLineError(
                _("%(count)d addresses from %(first)s do not fit in IPv4.")
                % {"count": count, "first": first}
            )
        return str(first), str(count)
    if kind == IPV6:
        try:
            first6 = ipaddress.IPv6Address(start.strip())
        except ValueError as exc:
            raise BadLineError(_("%(value)s is not an IPv6 address.") % {"value": start}) from exc
        length = _integer(value, "length")
        if length > 128:
            raise BadLineError(_("/%(length)d is not an IPv6 prefix length.") % {"length": length})
        return str(first6), str(length)
    asn = _integer(start, "asn")
    count = _integer(value, "asn-count")
    if count < 1 or asn + count - 1 > MAX_ASN:
        raise BadLineError(
            _("%(count)d AS numbers from %(asn)d do not fit.") % {"count": count, "asn": asn}
        )
    return str(asn), str(count)


# One kept record: registry, kind, first, size, country, status, date — the
# columns of DelegatedRange, as plain tuples so that 300,000 of them are cheap.
Row = tuple[str, str, str, str, str, str, dt.date | None]
COLUMNS = ("registry", "kind", "first", "size", "country", "status", "date")


def parse_line(fields: list[str]) -> Row | None:
    """A kept record as a row of :data:`COLUMNS`; None for a record that is skipped."""
    if len(fields) < 7:
        raise BadLineError(
            _(
                "A record needs at least 7 fields (registry|cc|type|start|value|date|status); "
                "this line has %(count)d."
            )
            % {"count": len(fields)}
        )
    registry, cc, kind, start, value, date, status = (part.strip() for part in fields[:7])
    if status.lower() not in KEPT_STATUSES:
        return None
    kind = kind.lower()
    if kind not in KINDS:
        raise BadLineError(_("The type %(value)s is not asn, ipv4 or ipv6.") % {"value": kind})
    registry = registry.lower()
    if not _REGISTRY.match(registry):
        raise BadLineError(
            _("The registry %(value)s is not a registry name.") % {"value": registry}
        )
    country = cc.upper()
    if not country or country == UNKNOWN_COUNTRY:
        return None
    if not _COUNTRY.match(country):
        raise BadLineError(_("%(value)s is not a two-letter country code.") % {"value": cc})
    first, size = _range(kind, start, value)
    return (registry, kind, first, size, country, status.lower(), _date(date))


def parse_delegated(text: str, *, name: str, report: DelegatedReport) -> list[Row]:
    """The kept records of a delegated file; fills ``report``'s counts and refusals."""
    rows: list[Row] = []
    header_seen = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split("|")
        if not header_seen:
            if len(fields) < 4 or not _VERSION.match(fields[0].strip()):
                raise UnusableFileError(
                    _(
                        "%(name)s is not an RIR delegated statistics file: line %(line)d should be "
                        "the version line version|registry|serial|records|startdate|enddate|"
                        "UTCoffset."
                    )
                    % {"name": name, "line": number}
                )
            header_seen = True
            report.header_registry = fields[1].strip().lower()
            continue
        if len(fields) >= 6 and fields[5].strip().lower() == "summary":
            report.summary_lines += 1
            continue
        try:
            row = parse_line(fields)
        except BadLineError as exc:
            report.refused.append(Problem(Where("line", number), str(exc)))
            continue
        if row is None:
            report.skipped += 1
            continue
        rows.append(row)
    if not header_seen:
        raise UnusableFileError(_("%(name)s holds no delegated statistics.") % {"name": name})
    return rows


def _column(name: str) -> str:
    """The database column of DelegatedRange's field ``name``."""
    return next(str(f.column) for f in DelegatedRange._meta.concrete_fields if f.name == name)


def _delete_registries(registries: list[str]) -> int:
    """Delete the stored rows of ``registries`` in one statement (no per-row signals)."""
    table = connection.ops.quote_name(DelegatedRange._meta.db_table)
    column = connection.ops.quote_name(_column("registry"))
    placeholders = ", ".join(["%s"] * len(registries))
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {column} IN ({placeholders})",  # noqa: S608 - names from _meta
            registries,
        )
        return max(cursor.rowcount, 0)


def _insert(rows: list[Row]) -> None:
    """Insert ``rows`` in batches with ``executemany`` (no model objects, no signals)."""
    quote = connection.ops.quote_name
    table = quote(DelegatedRange._meta.db_table)
    columns = ", ".join(quote(_column(name)) for name in COLUMNS)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from _meta
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_SIZE):
            batch = rows[start : start + BATCH_SIZE]
            cursor.executemany(sql, [(*row[:6], adapt(row[6])) for row in batch])


def replace_delegated_ranges(
    rows: list[Row],
    registries: list[str],
    *,
    source: str,
    acting_user: User | None,
) -> int:
    """Replace every stored row of ``registries`` by ``rows``, audited; return how many
    rows were removed. Call inside a transaction."""
    removed = _delete_registries(registries) if registries else 0
    _insert(rows)
    for registry in registries:
        count = sum(1 for row in rows if row[0] == registry)
        entry = audit.record(
            acting_user=acting_user,
            action="replace",
            obj=DelegatedRange(registry=registry),
            object_id=registry,
            after={"registry": registry, "rows": count, "source": source},
        )
        entry.object_repr = _("delegated ranges of %(registry)s") % {"registry": registry}
        entry.save(update_fields=["object_repr"])
    mark_changed()
    return removed


def import_delegated_file(
    path: Path, *, acting_user: User | None = None, dry_run: bool = False
) -> DelegatedReport:
    """Import an RIR delegated-extended file (UnusableFileError, with nothing written, if it is
    not one)."""
    report = DelegatedReport(source=str(path), dry_run=dry_run)
    text = read_text(path, limit=MAX_DELEGATED_FILE_BYTES)
    rows = parse_delegated(text, name=path.name, report=report)
    # Only registries with rows in the file are replaced: a file whose every
    # line is refused or skipped leaves the stored rows alone.
    registries = sorted({row[0] for row in rows})
    report.registries = registries
    for row in rows:
        report.stored[row[1]] = report.stored.get(row[1], 0) + 1
    with transaction.atomic():
        report.replaced = replace_delegated_ranges(
            rows, registries, source=path.name, acting_user=acting_user
        )
        if dry_run:
            transaction.set_rollback(True)
    return report

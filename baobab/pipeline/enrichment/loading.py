"""The enrichment data of this process: the data files read once and again
when one changes, the countries of registration taken from the directory's
look-up index, and the IP → ASN table plugged into that index so that
routing can use AS number claims for addresses."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from baobab.pipeline.enrichment.enrich import Enrichment
from baobab.pipeline.enrichment.files import READ_ERRORS, data_folder
from baobab.pipeline.enrichment.rdap import RdapClient
from baobab.pipeline.enrichment.sources import ASNAMES, IPASN, SOURCES, TOR, Reading
from baobab.pipeline.enrichment.tables import CountryTable, Segments

logger = logging.getLogger(__name__)

DEFAULT_RDAP_URL = "https://rdap.org"  # redirects each question to the right registry
RDAP_CACHE = "rdap-cache.json"

Signature = tuple[int, int, int]  # modification time (ns), size, inode


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    signatures: dict[str, Signature | None] = field(default_factory=dict)
    readings: dict[str, Reading[Any] | None] = field(default_factory=dict)
    delegated: tuple[object, object] | None = None
    countries: CountryTable | None = None
    enrichment: Enrichment | None = None


_state = _State()


def _signature(name: str) -> Signature | None:
    try:
        stat = os.stat(data_folder() / name)
    except FileNotFoundError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _read(name: str) -> Reading[Any] | None:
    source = SOURCES[name]
    path = data_folder() / source.file_name
    try:
        reading = source.read(path)
    except READ_ERRORS as exc:
        logger.warning("Enrichment file %s cannot be read, left unused: %s", path, exc)
        return None
    if reading.skipped:
        logger.warning(
            "Enrichment file %s: %d unreadable lines skipped, e.g. %s",
            path,
            reading.skipped,
            reading.problems[0] if reading.problems else "",
        )
    return reading


def _countries(force: bool) -> bool:
    """Refresh the country table from the directory's index; True when it changed."""
    from baobab.directory import index as directory_index  # noqa: PLC0415 (needs the app registry)

    lookup = directory_index.get_index().lookup
    ipv4, ipv6 = lookup.registered_countries(4), lookup.registered_countries(6)
    known = _state.delegated
    if not force and known is not None and known[0] is ipv4 and known[1] is ipv6:
        return False
    _state.delegated = (ipv4, ipv6)
    empty = len(ipv4[0]) <= 1 and len(ipv6[0]) <= 1 and not any(ipv4[1]) and not any(ipv6[1])
    _state.countries = None if empty else CountryTable(Segments(*ipv4), Segments(*ipv6))
    return True


def load_enrichment(force: bool = False) -> Enrichment:
    """This process's enrichment data, read again when a data file changed
    (or the directory's delegated statistics did) or when ``force`` is given.

    A missing or unreadable file leaves its part out. When the routing table
    changes it is plugged into the directory's look-up index.
    """
    from baobab.directory import index as directory_index  # noqa: PLC0415 (needs the app registry)

    with _state.lock:
        changed: set[str] = set()
        for name, source in SOURCES.items():
            signature = _signature(source.file_name)
            if force or name not in _state.signatures or _state.signatures[name] != signature:
                _state.signatures[name] = signature
                _state.readings[name] = _read(name) if signature is not None else None
                changed.add(name)
        if IPASN.name in changed:
            reading = _state.readings[IPASN.name]
            directory_index.set_ip_to_asn(reading.value if reading is not None else None)
        if _countries(force) or changed or _state.enrichment is None:
            _state.enrichment = Enrichment(
                asns=_value(IPASN.name),
                as_names=_value(ASNAMES.name),
                tor_exits=_value(TOR.name),
                countries=_state.countries,
            )
            _state.enrichment.ipv4  # noqa: B018 (built here, not in the first batch)
        return _state.enrichment


def _value(name: str) -> Any:
    reading = _state.readings.get(name)
    return reading.value if reading is not None else None


def reset_enrichment() -> None:
    """Forget this process's enrichment data (the next load reads everything again)."""
    with _state.lock:
        _state.signatures.clear()
        _state.readings.clear()
        _state.delegated = _state.countries = _state.enrichment = None


def rdap_client() -> RdapClient | None:
    """The RDAP client the settings ask for, or None when RDAP look-ups are
    off (``ENRICHMENT_RDAP``, the default being off)."""
    if not getattr(settings, "ENRICHMENT_RDAP", False):
        return None
    return RdapClient(
        str(getattr(settings, "ENRICHMENT_RDAP_URL", "") or DEFAULT_RDAP_URL),
        data_folder() / RDAP_CACHE,
        ttl=float(getattr(settings, "ENRICHMENT_RDAP_TTL", 7 * 86_400)),
        timeout=float(getattr(settings, "ENRICHMENT_RDAP_TIMEOUT", 5.0)),
        max_queries=int(getattr(settings, "ENRICHMENT_RDAP_MAX_QUERIES", 20)),
    )

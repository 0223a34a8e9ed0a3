"""Optional RDAP look-ups for the addresses the offline tables leave without
an AS number or a country (off unless ``ENRICHMENT_RDAP`` is set).

This is the one part of enrichment that may reach the network, so it is
bounded: answers are cached in a JSON file for a time to live, each query
has a timeout, a batch asks at most ``max_queries`` new questions, and only
public addresses are ever sent. No Django: the loader passes the settings.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import os
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import polars as pl

from baobab.pipeline.enrichment.enrich import SIDES, Enrichment, enrich

logger = logging.getLogger(__name__)

MAX_ANSWER_BYTES = 1 << 20
MAX_CACHE_ENTRIES = 100_000
_TOO_MANY_REQUESTS = 429
_NOT_FOUND = 404


@dataclass(frozen=True, slots=True)
class RdapAnswer:
    """What an RDAP server said about an address's network (None: not said)."""

    country: str | None = None
    asn: int | None = None


def parse_answer(data: Any) -> RdapAnswer:
    """The country and origin AS of an RDAP ``ip network`` object."""
    if not isinstance(data, dict):
        return RdapAnswer()
    country = data.get("country")
    country = country.upper() if isinstance(country, str) and len(country) == 2 else None
    origins = data.get("arin_originas0_originautnums")  # ARIN's origin AS extension
    asn = None
    if isinstance(origins, list) and origins:
        with contextlib.suppress(TypeError, ValueError):
            asn = int(origins[0])
    return RdapAnswer(country, asn)


class RdapClient:
    """Asks an RDAP server about addresses, remembering the answers."""

    def __init__(
        self,
        base_url: str,
        cache_path: Path,
        *,
        ttl: float = 7 * 86_400,
        timeout: float = 5.0,
        max_queries: int = 20,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"{base_url} is not an http:// or https:// URL")
        self.base_url = base_url.rstrip("/")
        self.cache_path = cache_path
        self.ttl = ttl
        self.timeout = timeout
        self.max_queries = max_queries
        self.queries = 0  # how many questions this client has sent

    # -- the cache --

    def _load_cache(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        entries = data.get("entries") if isinstance(data, dict) else None
        if not isinstance(entries, dict):
            return {}
        oldest = time.time() - self.ttl
        return {
            address: entry
            for address, entry in entries.items()
            if isinstance(entry, dict)
            and isinstance(entry.get("at"), int | float)
            and entry["at"] >= oldest
        }

    def _save_cache(self, entries: dict[str, dict[str, Any]]) -> None:
        if len(entries) > MAX_CACHE_ENTRIES:
            newest = sorted(entries.items(), key=lambda item: item[1]["at"])[-MAX_CACHE_ENTRIES:]
            entries = dict(newest)
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=self.cache_path.parent, suffix=".part")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump({"version": 1, "entries": entries}, out)
            Path(name).replace(self.cache_path)
        except OSError as exc:
            logger.warning("RDAP cache %s cannot be written: %s", self.cache_path, exc)
            Path(name).unlink(missing_ok=True)

    # -- asking --

    def _ask(self, address: str) -> RdapAnswer | None:
        """The server's answer; None when it could not be had (not cached)."""
        request = urllib.request.Request(  # noqa: S310 (http(s) only, checked above)
            f"{self.base_url}/ip/{quote(address, safe=':')}",
            headers={"Accept": "application/rdap+json, application/json"},
        )
        self.queries += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_ANSWER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code == _NOT_FOUND:
                return RdapAnswer()
            if exc.code == _TOO_MANY_REQUESTS:
                raise
            logger.info("RDAP %s: HTTP %s", address, exc.code)
            return None
        except (urllib.error.URLError, OSError) as exc:
            logger.info("RDAP %s: %s", address, exc)
            return None
        if len(body) > MAX_ANSWER_BYTES:
            return None
        try:
            return parse_answer(json.loads(body))
        except ValueError:
            return None

    def answers(self, addresses: Iterable[str]) -> dict[str, RdapAnswer]:
        """Answers for the addresses: cached ones, then at most ``max_queries``
        new questions (public addresses only); the others are left out."""
        entries = self._load_cache()
        found: dict[str, RdapAnswer] = {}
        asked = 0
        for address in addresses:
            entry = entries.get(address)
            if entry is not None:
                found[address] = _cached(entry)
                continue
            if asked >= self.max_queries or not _public(address):
                continue
            asked += 1
            try:
                answer = self._ask(address)
            except urllib.error.HTTPError:
                logger.info(
                    "RDAP server %s asks to slow down; stopping for this batch", self.base_url
                )
                break
            if answer is not None:
                found[address] = answer
                entries[address] = {"at": time.time(), "country": answer.country, "asn": answer.asn}
        if asked:
            self._save_cache(entries)
        return found


def _cached(entry: dict[str, Any]) -> RdapAnswer:
    country, asn = entry.get("country"), entry.get("asn")
    return RdapAnswer(
        country if isinstance(country, str) else None,
        asn if isinstance(asn, int) and not isinstance(asn, bool) else None,
    )


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return False


def missing_addresses(frame: pl.DataFrame) -> list[str]:
    """The distinct addresses of the frame whose AS number or country is missing."""
    found: set[str] = set()
    for side in SIDES:
        ip = f"{side}.ip"
        if ip not in frame.columns:
            continue
        missing = pl.lit(value=False)
        for name in (f"{side}.asn", f"{side}.geolocation.cc"):
            missing = missing | (pl.col(name).is_null() if name in frame.columns else pl.lit(True))
        rows = frame.filter(pl.col(ip).is_not_null() & missing)
        found.update(rows.get_column(ip).cast(pl.Utf8).unique().to_list())
    return sorted(found)


def apply_answers(frame: pl.DataFrame, answers: Mapping[str, RdapAnswer]) -> pl.DataFrame:
    """The frame with missing AS numbers and countries taken from ``answers``."""
    if not answers:
        return frame
    keys = list(answers)
    asns = pl.Series([answers[key].asn for key in keys], dtype=pl.Int64)
    countries = pl.Series([answers[key].country for key in keys], dtype=pl.Utf8)
    for side in SIDES:
        ip = f"{side}.ip"
        if ip not in frame.columns:
            continue
        texts = pl.col(ip).cast(pl.Utf8)
        for name, values in ((f"{side}.asn", asns), (f"{side}.geolocation.cc", countries)):
            found = texts.replace_strict(keys, values, default=None, return_dtype=values.dtype)
            current = pl.col(name) if name in frame.columns else pl.lit(None, values.dtype)
            frame = frame.with_columns(pl.coalesce(current, found).alias(name))
    return frame


def enrich_rdap(
    frame: pl.DataFrame, client: RdapClient, as_names: Mapping[int, str] | None = None
) -> pl.DataFrame:
    """Ask RDAP about the frame's addresses still missing an AS number or a
    country (run after :func:`enrich`); AS names are added for the AS numbers
    found when ``as_names`` is given."""
    answers = client.answers(missing_addresses(frame))
    frame = apply_answers(frame, answers)
    if as_names is not None and answers:
        frame = enrich(frame, Enrichment(as_names=as_names))
    return frame

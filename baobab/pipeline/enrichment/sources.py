"""The enrichment data files, what each one holds and where it comes from, and
the readers that turn them into tables.

* ``ipasn.dat``: announced prefixes and their origin AS in the ``ipasn``
  format of pyasn / RouteViews (``prefix/length<TAB>ASN``, ``;`` comments,
  IPv4 and IPv6), plain or gzip'd;
* ``asnames.txt``: AS names as RIPE publishes them (``ASN NAME, CC``);
* ``tor-exits.txt``: the Tor bulk exit list (one address per line, ``#``
  comments; the ``ExitAddress`` lines of Tor's exit-addresses list also work).

Bad lines are counted and the first few described, never fatal. No Django.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import polars as pl

from baobab.directory.lookup.ranges import prefix_range
from baobab.pipeline.enrichment.tables import AsnTable, ipv4_integers

T = TypeVar("T")

MAX_ASN = 4_294_967_295
PROBLEMS_KEPT = 10  # bad lines described in a reading; the rest are only counted
_GZIP_MAGIC = b"\x1f\x8b"
_ROUTE = r"^([0-9A-Fa-f:.]+)/(\d{1,3})\s+(?:AS|as)?(\d{1,10})$"
_COUNTRY_SUFFIX = re.compile(r",\s*[A-Za-z]{2}$")
_TOR_HEADINGS = frozenset({"ExitNode", "Published", "LastStatus"})


@dataclass(frozen=True, slots=True)
class Reading(Generic[T]):
    """What a reader made of a file: the table, how many entries it holds,
    how many lines were skipped as unreadable and why (the first few)."""

    value: T
    entries: int
    skipped: int = 0
    problems: tuple[str, ...] = ()


def read_bytes(path: Path) -> bytes:
    """The content of a data file, gunzipped when it is gzip'd."""
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == _GZIP_MAGIC else data


def read_text(path: Path) -> str:
    """The text of a data file, gunzipped when it is gzip'd (undecodable bytes replaced)."""
    return read_bytes(path).decode("utf-8", "replace")


def _problem(number: int, line: str, reason: str) -> str:
    shown = line if len(line) <= 80 else line[:77] + "..."
    return f"line {number}: {reason}: {shown!r}"


def _content_lines(data: bytes, comments: tuple[str, ...]) -> pl.DataFrame:
    """The numbered, stripped lines that are neither blank nor comments
    (read by polars: a million lines never become a million Python strings)."""
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            new_columns=["line"],
            schema={"line": pl.Utf8},
            separator="\x1f",  # a byte no text line holds: one column, the whole line
            quote_char=None,
            truncate_ragged_lines=True,
            encoding="utf8-lossy",
        )
    except pl.exceptions.NoDataError:
        frame = pl.DataFrame(schema={"line": pl.Utf8})
    frame = frame.with_row_index("number", offset=1).with_columns(pl.col("line").str.strip_chars())
    keep = pl.col("line").fill_null("") != ""
    for mark in comments:
        keep &= ~pl.col("line").str.starts_with(mark)
    return frame.filter(keep)


def read_ipasn(path: Path) -> Reading[AsnTable]:
    """Read an ``ipasn`` routing table into an IP → ASN table."""
    frame = _content_lines(read_bytes(path), (";", "#"))
    parts = frame.get_column("line").str.extract_groups(_ROUTE).struct.unnest()
    frame = frame.with_columns(
        address=parts.get_column("1"),
        length=parts.get_column("2").cast(pl.Int64),
        asn=parts.get_column("3").cast(pl.Int64),
    )
    wide = pl.col("address").str.contains(":", literal=True).fill_null(value=False)
    v4 = frame.filter(wide.not_())  # and the lines that are no route at all
    v4 = v4.with_columns(value=ipv4_integers(v4.get_column("address")))
    good = pl.col("value").is_not_null() & (pl.col("length") <= 32) & (pl.col("asn") <= MAX_ASN)
    sizes = {length: 1 << (32 - length) for length in range(33)}
    size = pl.col("length").replace_strict(sizes, return_dtype=pl.Int64)
    ipv4 = (
        v4.filter(good)
        .with_columns(first=pl.col("value") - pl.col("value") % size)
        .select("first", last=pl.col("first") + size - 1, asn="asn")
    )
    bad = v4.filter(good.not_()).select("number", "line").rows()
    ipv6: list[tuple[int, int, int]] = []
    for number, line, address, length, asn in (
        frame.filter(wide).select("number", "line", "address", "length", "asn").iter_rows()
    ):
        try:
            version, first, last = prefix_range(f"{address}/{length}")
        except ValueError:
            version = 0
        if version != 6 or asn is None or asn > MAX_ASN:
            bad.append((number, line))
            continue
        ipv6.append((first, last, asn))
    bad.sort()
    return Reading(
        AsnTable(ipv4, ipv6),
        entries=len(ipv4) + len(ipv6),
        skipped=len(bad),
        problems=tuple(
            _problem(number, line, "not an IP prefix and an AS number")
            for number, line in bad[:PROBLEMS_KEPT]
        ),
    )


def _asn_text(text: str) -> int | None:
    digits = text[2:] if text[:2].upper() == "AS" else text
    if not (digits.isascii() and digits.isdigit()) or int(digits) > MAX_ASN:
        return None
    return int(digits)


def read_asnames(path: Path) -> Reading[dict[int, str]]:
    """Read an AS names list (``ASN NAME, CC``) into a dictionary ASN → name.

    The trailing country code is the AS holder's, not an address's: it is
    left out of the name.
    """
    names: dict[int, str] = {}
    bad: list[str] = []
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        head, _space, rest = line.partition(" ")
        asn = _asn_text(head)
        name = _COUNTRY_SUFFIX.sub("", rest.strip()).strip() or rest.strip()
        if asn is None or not name:
            bad.append(_problem(number, line, "not an AS number and a name"))
            continue
        names[asn] = name
    return Reading(names, len(names), len(bad), tuple(bad[:PROBLEMS_KEPT]))


def read_tor_exits(path: Path) -> Reading[frozenset[str]]:
    """Read the Tor bulk exit list into a set of canonical addresses."""
    exits: set[str] = set()
    bad: list[str] = []
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        words = raw.split("#", 1)[0].split()
        if not words or words[0] in _TOR_HEADINGS:
            continue
        candidate = words[1] if words[0] == "ExitAddress" and len(words) > 1 else words[0]
        try:
            if len(words) > 1 and words[0] != "ExitAddress":
                raise ValueError(candidate)
            exits.add(str(ipaddress.ip_address(candidate)))
        except ValueError:
            bad.append(_problem(number, raw.strip(), "not an IP address"))
    return Reading(frozenset(exits), len(exits), len(bad), tuple(bad[:PROBLEMS_KEPT]))


@dataclass(frozen=True, slots=True)
class Source:
    """One enrichment data file: its name on the command line, its file in the
    data folder, where it is downloaded from and how it is read.

    ``url_setting`` names the setting (or environment variable) with its URL;
    ``aliases`` are other file names accepted by ``--from-folder``.
    """

    name: str
    file_name: str
    title: str
    url_setting: str
    default_url: str | None
    read: Callable[[Path], Reading[Any]]
    aliases: tuple[str, ...] = ()
    hint: str = ""  # where to get the file when it has no default URL

    def candidates(self) -> tuple[str, ...]:
        """The file names a folder may hold this source under, in order."""
        names = (self.file_name, *self.aliases)
        return names + tuple(f"{name}.gz" for name in names)


IPASN = Source(
    "ipasn",
    "ipasn.dat",
    "IP → ASN routing table (pyasn / RouteViews ipasn format)",
    "ENRICHMENT_IPASN_URL",
    None,
    read_ipasn,
    aliases=("ipasn.txt",),
    hint=(
        "RouteViews publishes raw MRT dumps, not ipasn files: make one with pyasn's "
        "pyasn_util_download.py and pyasn_util_convert.py, then serve it on a web server "
        "of yours or copy it in with --from-folder"
    ),
)
ASNAMES = Source(
    "asnames",
    "asnames.txt",
    "AS names (ASN NAME, CC)",
    "ENRICHMENT_ASNAMES_URL",
    "https://ftp.ripe.net/ripe/asnames/asn.txt",
    read_asnames,
    aliases=("asn.txt",),
)
TOR = Source(
    "tor",
    "tor-exits.txt",
    "Tor exit nodes (Tor bulk exit list)",
    "ENRICHMENT_TOR_URL",
    "https://check.torproject.org/torbulkexitlist",
    read_tor_exits,
    aliases=("torbulkexitlist", "exit-addresses"),
)
SOURCES: dict[str, Source] = {source.name: source for source in (IPASN, ASNAMES, TOR)}

"""Synthetic ShadowServer reports: realistic files for the benchmarks
(``bench/pipeline.py``, ``bench/generate_shadowserver.py``), the tests and
the demo community.

The columns are those of ShadowServer's published report schema
(``scan_telnet``, ``event4_sinkhole``, ``event4_sinkhole_http``,
``blocklist``), the file names follow theirs (``2024-05-01-scan_telnet-…csv``),
text values are quoted and numbers are not, as in their files. Values follow
plausible distributions: mostly port 23 for telnet, a handful of sinkholes
and malware families, reverse names for some hosts, sectors with commas in
them, banners with escaped line ends.

Addresses come from the networks given as ``inside`` (a community's claimed
prefixes, so routing has work to do) or, for the ``outside`` share, from
other networks or random public-looking IPv4 and global IPv6 addresses. An
address is not repeated within a network until the network is used up (a
bijection over its offsets), so rows are distinct events. A few rows are
deliberately malformed (wrong field count, bad address, port or time, bytes
that are not UTF-8) and a few repeat the row before them exactly; the
:class:`ReportStats` say how many. The same seed gives the same file.

No Django, no polars: only the standard library (``bench/`` scripts use it
before Django is set up).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCAN_HOST = (
    "timestamp",
    "severity",
    "ip",
    "protocol",
    "port",
    "hostname",
    "tag",
    "asn",
    "geo",
    "region",
    "city",
    "naics",
    "hostname_source",
    "sector",
)
_EVENT_HEAD = (
    "timestamp",
    "protocol",
    "src_ip",
    "src_port",
    "src_asn",
    "src_geo",
    "src_region",
    "src_city",
    "src_hostname",
    "src_naics",
    "src_sector",
    "device_vendor",
    "device_type",
    "device_model",
    "severity",
    "dst_ip",
    "dst_port",
    "dst_asn",
    "dst_geo",
    "dst_region",
    "dst_city",
    "dst_hostname",
    "dst_naics",
    "dst_sector",
    "public_source",
    "infection",
    "family",
    "tag",
    "application",
    "version",
    "event_id",
)

# The report types this module writes, with ShadowServer's columns in their order.
REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "scan_telnet": (*_SCAN_HOST, "banner"),
    "event4_sinkhole": (*_EVENT_HEAD, "ssl_cipher", "ssl_servername"),
    "event4_sinkhole_http": (
        *_EVENT_HEAD,
        "http_url",
        "http_host",
        "http_agent",
        "forwarded_by",
        "ssl_cipher",
        "http_referer",
        "ssl_servername",
        "machine_name",
    ),
    "blocklist": (
        "timestamp",
        "severity",
        "ip",
        "hostname",
        "source",
        "reason",
        "asn",
        "geo",
        "region",
        "city",
        "naics",
        "sector",
        "tag",
    ),
}
REPORTS = tuple(REPORT_COLUMNS)


@dataclass(frozen=True, slots=True)
class Network:
    """Address space events come from, with what ShadowServer would say about it."""

    prefix: str
    asn: int | None = None
    cc: str = ""
    region: str = ""
    city: str = ""
    domain: str = ""  # reverse names of its hosts end with it, when given


@dataclass(slots=True)
class ReportStats:
    """What a generated report holds (``rows`` counts every data line)."""

    report: str
    rows: int = 0
    malformed: int = 0  # lines the pipeline must quarantine
    duplicates: int = 0  # exact repeats of the line before
    inside: int = 0  # good rows whose address is in an ``inside`` network
    ipv6: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    malformed_lines: list[int] = field(default_factory=list)  # line numbers in the file

    @property
    def good(self) -> int:
        """Rows that should parse (repeats included)."""
        return self.rows - self.malformed

    @property
    def unique(self) -> int:
        """Distinct events the report should store."""
        return self.good - self.duplicates


def report_file_name(report: str, day: dt.date, who: str = "demo") -> str:
    """The file name ShadowServer gives such a report (the date, the type, who it is for)."""
    return f"{day:%Y-%m-%d}-{report}-{who}-geo.csv"


# --- addresses ---------------------------------------------------------------------

_NOT_PUBLIC_V4 = [
    (int(net.network_address), int(net.broadcast_address))
    for net in map(
        ipaddress.ip_network,
        (
            "0.0.0.0/8",
            "10.0.0.0/8",
            "100.64.0.0/10",
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.0.0.0/24",
            "192.0.2.0/24",
            "192.168.0.0/16",
            "198.18.0.0/15",
            "198.51.100.0/24",
            "203.0.113.0/24",
        ),
    )
]
_MULTIPLIER = 0x9E3779B1  # odd: i -> i * M + salt is a bijection modulo any power of two


def _v4_text(value: int) -> str:
    return f"{value >> 24}.{value >> 16 & 255}.{value >> 8 & 255}.{value & 255}"


class _Pool:
    """Distinct addresses of one network, in a scattered order."""

    __slots__ = ("base", "count", "mask", "net", "salt", "size", "version")

    def __init__(self, net: ipaddress.IPv4Network | ipaddress.IPv6Network, salt: int) -> None:
        self.net = net
        self.version = net.version
        self.base = int(net.network_address)
        host_bits = net.max_prefixlen - net.prefixlen
        self.size = 1 << min(host_bits, 64)
        self.mask = self.size - 1
        self.salt = salt & self.mask
        self.count = 0

    def take(self) -> str:
        while True:
            offset = (self.count * _MULTIPLIER + self.salt) & self.mask
            self.count += 1
            # No network or broadcast address in an IPv4 network of 4 or more.
            if self.version == 6 or self.size < 4 or 0 < offset < self.mask:
                break
        if self.version == 4:
            return _v4_text(self.base + offset)
        return str(ipaddress.IPv6Address(self.base + (offset or 1)))


class _PublicV4:
    """Distinct random public-looking IPv4 addresses (a bijection over 2^32)."""

    __slots__ = ("count", "salt")

    def __init__(self, salt: int) -> None:
        self.salt, self.count = salt & 0xFFFFFFFF, 0

    def take(self) -> str:
        while True:
            value = (self.count * _MULTIPLIER + self.salt) & 0xFFFFFFFF
            self.count += 1
            first = value >> 24
            if first == 0 or first >= 224:
                continue
            if any(start <= value <= end for start, end in _NOT_PUBLIC_V4):
                continue
            return _v4_text(value)


class _PublicV6:
    """Distinct random global IPv6 addresses in 2a00::/12 (outside documentation space)."""

    __slots__ = ("count", "salt")

    def __init__(self, salt: int) -> None:
        self.salt, self.count = salt, 0

    def take(self) -> str:
        self.count += 1
        high = 0x2A00 << 112 | ((self.count * _MULTIPLIER + self.salt) & ((1 << 36) - 1)) << 76
        return str(ipaddress.IPv6Address(high | (self.count & 0xFFFF) | 1))


# --- values ------------------------------------------------------------------------

_COUNTRIES = ("KE", "SN", "NG", "MA", "CI", "GH", "TZ", "RW", "TN", "CM", "MZ", "EG", "ZA", "BR")
_PLACES = {
    "KE": ("NAIROBI AREA", "NAIROBI"),
    "SN": ("DAKAR", "DAKAR"),
    "NG": ("LAGOS", "LAGOS"),
    "MA": ("CASABLANCA-SETTAT", "CASABLANCA"),
    "CI": ("ABIDJAN", "ABIDJAN"),
    "GH": ("GREATER ACCRA", "ACCRA"),
    "TZ": ("DAR ES SALAAM", "DAR ES SALAAM"),
    "RW": ("KIGALI", "KIGALI"),
    "TN": ("TUNIS", "TUNIS"),
    "CM": ("LITTORAL", "DOUALA"),
    "MZ": ("MAPUTO CITY", "MAPUTO"),
    "EG": ("CAIRO GOVERNORATE", "CAIRO"),
    "ZA": ("GAUTENG", "JOHANNESBURG"),
    "BR": ("SAO PAULO", "SAO PAULO"),
}
_SECTORS = (
    "Communications, Service Provider, and Hosting Service",
    "Communications, Service Provider, and Hosting Service",
    "Government",
    "Education",
    "Banking and Finance",
    "",
    "",
    "",
)
_NAICS = (517311, 517311, 517312, 518210, 611310, 0, 0)
_BANNERS = (
    "\\r\\nLogin: ",
    "\\r\\nlogin: ",
    "BusyBox v1.19.4 (2016-03-11 15:47:33 CST) built-in shell (ash)\\r\\n",
    "\\r\\n\\r\\nUser Access Verification\\r\\n\\r\\nUsername: ",
    "\\xff\\xfb\\x01\\xff\\xfb\\x03\\r\\nMikroTik v6.48.6 (stable)\\r\\nLogin: ",
    "Welcome to ZXHN H108N\\r\\nLogin: ",
    "Debian GNU/Linux 9\\r\\nrouter login: ",
    "HG8245H\\r\\nLogin:",
    "Password: ",
    "",
)
_FAMILIES = (
    ("andromeda", "andromeda", 0.18),
    ("necurs", "necurs", 0.08),
    ("sality", "sality-p2p", 0.07),
    ("ramnit", "ramnit", 0.12),
    ("conficker", "conficker", 0.06),
    ("mirai", "mirai", 0.15),
    ("qsnatch", "qsnatch", 0.05),
    ("gamut", "gamut", 0.06),
    ("avalanche-andromeda", "andromeda", 0.08),
    ("emotet", "emotet", 0.05),
    ("pushdo", "pushdo", 0.04),
    ("tinba", "tinba", 0.06),
)
_AGENTS = (
    "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
    "Wget/1.12 (linux-gnu)",
    "",
)
_BLOCK_REASONS = (
    ("scanning", "Scanning"),
    ("brute-force", "SSH brute force"),
    ("spam", "Spam source"),
    ("c2", "Botnet controller"),
)
_DEVICES = (("", "", ""),) * 6 + (
    ("MikroTik", "router", "RouterOS"),
    ("Hikvision", "camera", ""),
    ("ZTE", "router", "ZXHN H108N"),
    ("Huawei", "router", "HG8245H"),
)
_MALFORMED = ("field count", "address", "port", "time", "utf-8")


def _quote(value: object) -> str:
    """A field as ShadowServer writes it: numbers bare, text quoted, nothing empty."""
    if value is None or value == "":
        return ""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return '"' + text.replace('"', '""') + '"'


@dataclass
class _Sources:
    inside: list[_Pool]
    inside_v6: list[_Pool]
    outside: list[_Pool]
    outside_v6: list[_Pool]
    networks: dict[int, Network]  # by id() of the pool


class ReportGenerator:
    """Lines of one ShadowServer report, row by row (see the module's docstring)."""

    def __init__(
        self,
        report: str,
        *,
        seed: int = 20240501,
        day: dt.date = dt.date(2024, 5, 1),
        inside: Sequence[Network] = (),
        outside: Sequence[Network] = (),
        inside_share: float = 0.7,
        ipv6_share: float = 0.02,
        malformed_share: float = 0.0005,
        duplicate_share: float = 0.002,
    ) -> None:
        if report not in REPORT_COLUMNS:
            raise ValueError(f"unknown report {report!r}; known: {', '.join(REPORTS)}")
        self.report = report
        self.columns = REPORT_COLUMNS[report]
        self.day = day
        self.rnd = random.Random(seed)
        self.inside_share = inside_share if inside else 0.0
        self.ipv6_share = ipv6_share
        self.malformed_share = malformed_share
        self.duplicate_share = duplicate_share
        self.stats = ReportStats(report)
        self._sources = self._pools(inside, outside)
        self._public_v4 = _PublicV4(self.rnd.getrandbits(32))
        self._public_v6 = _PublicV6(self.rnd.getrandbits(48))
        self._sinkholes = [self._public_v4.take() for _ in range(6)]
        self._row = getattr(self, f"_row_{report}")
        self._address_at = self._column("src_ip", "ip")
        has_port = "port" in self.columns or "src_port" in self.columns
        self._port_at = self._column("src_port", "port") if has_port else None
        self._malformed_kinds = tuple(
            kind for kind in _MALFORMED if kind != "port" or self._port_at is not None
        )
        self._previous: bytes | None = None
        self._date = f"{day:%Y-%m-%d}"

    def _column(self, *names: str) -> int:
        """The position of the first of ``names`` the report has."""
        return next(self.columns.index(name) for name in names if name in self.columns)

    def _pools(self, inside: Sequence[Network], outside: Sequence[Network]) -> _Sources:
        sources = _Sources([], [], [], [], {})
        for networks, v4, v6 in (
            (inside, sources.inside, sources.inside_v6),
            (outside, sources.outside, sources.outside_v6),
        ):
            for network in networks:
                pool = _Pool(ipaddress.ip_network(network.prefix), self.rnd.getrandbits(64))
                (v4 if pool.version == 4 else v6).append(pool)
                sources.networks[id(pool)] = network
        return sources

    # -- the lines --

    def header(self) -> bytes:
        """The header line (column names quoted, as ShadowServer writes them)."""
        return (",".join(f'"{name}"' for name in self.columns) + "\n").encode()

    def lines(self, rows: int) -> Iterator[bytes]:
        """``rows`` data lines, each ending with a line feed."""
        rnd = self.rnd
        stats = self.stats
        for _ in range(rows):
            stats.rows += 1
            roll = rnd.random()
            if roll < self.malformed_share:
                stats.malformed_lines.append(stats.rows + 1)  # the header is line 1
                yield self._malformed()
                continue
            if self._previous is not None and roll < self.malformed_share + self.duplicate_share:
                stats.duplicates += 1
                yield self._previous
                continue
            line = (",".join(map(_quote, self._row())) + "\n").encode()
            self._previous = line
            yield line

    def write(self, path: Path, rows: int) -> ReportStats:
        """Write the header and ``rows`` lines to ``path``; what they hold."""
        with path.open("wb") as out:
            out.write(self.header())
            batch: list[bytes] = []
            for line in self.lines(rows):
                batch.append(line)
                if len(batch) >= 10_000:
                    out.writelines(batch)
                    batch.clear()
            out.writelines(batch)
        return self.stats

    # -- pieces of a row --

    def _moment(self) -> str:
        second = int(self.rnd.random() * 86_400)
        return f"{self._date} {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"

    def _host(self) -> tuple[str, Network | None]:
        """An address and the network it was taken from (None: a random one)."""
        rnd = self.rnd
        sources = self._sources
        v6 = rnd.random() < self.ipv6_share
        if rnd.random() < self.inside_share:
            pools = sources.inside_v6 if v6 and sources.inside_v6 else sources.inside
            if pools:
                pool = rnd.choice(pools)
                self.stats.inside += 1
                self.stats.ipv6 += pool.version == 6
                return pool.take(), sources.networks[id(pool)]
        pools = sources.outside_v6 if v6 else sources.outside
        if pools:
            pool = rnd.choice(pools)
            self.stats.ipv6 += pool.version == 6
            return pool.take(), sources.networks[id(pool)]
        if v6:
            self.stats.ipv6 += 1
            return self._public_v6.take(), None
        return self._public_v4.take(), None

    def _where(self, network: Network | None) -> tuple[int | str, str, str, str]:
        """AS number, country, region and city of a host."""
        rnd = self.rnd
        if network is not None and network.cc:
            region, city = network.region, network.city
            if not region:
                region, city = _PLACES.get(network.cc, ("", ""))
            return network.asn or "", network.cc, region, city
        cc = rnd.choice(_COUNTRIES)
        region, city = _PLACES[cc]
        return rnd.randrange(1_000, 400_000), cc, region, city

    def _reverse(self, address: str, network: Network | None, share: float) -> str:
        if self.rnd.random() >= share:
            return ""
        domain = network.domain if network is not None and network.domain else "dyn.example"
        return f"host-{address.replace('.', '-').replace(':', '-')}.{domain}"

    # -- one row per report type --

    def _row_scan_telnet(self) -> list[object]:
        rnd = self.rnd
        address, network = self._host()
        asn, cc, region, city = self._where(network)
        hostname = self._reverse(address, network, 0.35)
        roll = rnd.random()
        port = 23 if roll < 0.85 else 2323 if roll < 0.95 else rnd.choice((23231, 8023, 9999))
        return [
            self._moment(),
            "medium" if rnd.random() < 0.95 else "high",
            address,
            "tcp",
            port,
            hostname,
            "telnet" if rnd.random() < 0.9 else "telnet;iot",
            asn,
            cc,
            region,
            city,
            rnd.choice(_NAICS) or "",
            "ptr" if hostname else "",
            rnd.choice(_SECTORS),
            rnd.choice(_BANNERS),
        ]

    def _event_row(self) -> tuple[list[object], str, str]:
        rnd = self.rnd
        address, network = self._host()
        asn, cc, region, city = self._where(network)
        infection, family = rnd.choices(
            [(i, f) for i, f, _w in _FAMILIES], weights=[w for *_x, w in _FAMILIES]
        )[0]
        vendor, device, model = rnd.choice(_DEVICES)
        sinkhole = rnd.choice(self._sinkholes)
        https = rnd.random() < 0.3
        row: list[object] = [
            self._moment(),
            "tcp",
            address,
            rnd.randrange(1_024, 65_536),
            asn,
            cc,
            region,
            city,
            self._reverse(address, network, 0.25),
            rnd.choice(_NAICS) or "",
            rnd.choice(_SECTORS),
            vendor,
            device,
            model,
            "high",
            sinkhole,
            443 if https else 80,
            64_512 + self._sinkholes.index(sinkhole),
            "US",
            "CALIFORNIA",
            "SAN FRANCISCO",
            "",
            518_210,
            "Communications, Service Provider, and Hosting Service",
            "CERT-PL" if rnd.random() < 0.2 else "",
            infection,
            family,
            infection,
            "https" if https else "http",
            "",
            "",
        ]
        return row, family, "https" if https else "http"

    def _row_event4_sinkhole(self) -> list[object]:
        row, family, scheme = self._event_row()
        if scheme == "https":
            return [*row, "TLS_AES_128_GCM_SHA256", f"{family}-c2.sinkhole.example"]
        return [*row, "", ""]

    def _row_event4_sinkhole_http(self) -> list[object]:
        rnd = self.rnd
        row, family, _scheme = self._event_row()
        host = f"{family}{rnd.randrange(100)}.sinkhole.example"
        return [
            *row,
            f"/{family}/gate.php?id={rnd.getrandbits(32):08x}",
            host,
            rnd.choice(_AGENTS),
            "",
            "",
            "",
            host,
            f"DESKTOP-{rnd.getrandbits(24):06X}" if rnd.random() < 0.3 else "",
        ]

    def _row_blocklist(self) -> list[object]:
        rnd = self.rnd
        address, network = self._host()
        asn, cc, region, city = self._where(network)
        tag, reason = rnd.choice(_BLOCK_REASONS)
        return [
            self._moment(),
            "high",
            address,
            self._reverse(address, network, 0.2),
            "shadowserver",
            reason,
            asn,
            cc,
            region,
            city,
            rnd.choice(_NAICS) or "",
            rnd.choice(_SECTORS),
            tag,
        ]

    def _malformed(self) -> bytes:
        """A line the pipeline must quarantine, and why."""
        rnd = self.rnd
        reason = rnd.choice(self._malformed_kinds)
        self.stats.malformed += 1
        self.stats.by_reason[reason] = self.stats.by_reason.get(reason, 0) + 1
        row = self._row()
        if reason == "field count":
            row = row[: len(row) // 2]
        elif reason == "address":
            row[self._address_at] = rnd.choice(("203.0.113.300", "not-an-address", "2001:db8::g1"))
        elif reason == "port" and self._port_at is not None:
            row[self._port_at] = rnd.choice((70_000, -1))
        elif reason == "time":
            row[0] = rnd.choice(("2024-13-45 99:99:99", "yesterday"))
        line = (",".join(map(_quote, row)) + "\n").encode()
        if reason == "utf-8":
            line = line.replace(b'","', b'","\xc3\x28', 1)
        return line


def write_report(path: Path, report: str, rows: int, **options: Any) -> ReportStats:
    """Write a ``report`` of ``rows`` data lines to ``path`` (options: see
    :class:`ReportGenerator`); what it holds."""
    return ReportGenerator(report, **options).write(path, rows)

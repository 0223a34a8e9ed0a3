"""The conversion functions named in ShadowServer's report schema, as column
operations: each takes a column of text and returns a column of text (or
nulls), one polars expression for the whole chunk.

The names are IntelMQ's (``add_UTC_to_timestamp``, ``validate_ip``, …) so a
schema written for IntelMQ works unchanged. Conversions only shape values the
way the format implies (a time without a zone is UTC, ``0`` means "no ASN");
validating them is the normalisation stage's job. An unknown name keeps the
value as it is, so a newer schema never stops a report from being read.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import polars as pl

# A conversion: (the column's values, the names of the report's columns) -> values.
Conversion = Callable[[pl.Expr, Collection[str]], pl.Expr]

_NAIVE_TIME = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"
_IPV4 = r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
_IPV6 = r"^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*(:(\d{1,3}\.){3}\d{1,3})?$"
_HOST_NAME = r"^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$"
_BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_TRUE = ("y", "yes", "true", "enabled", "1")
_FALSE = ("n", "no", "false", "disabled", "0")
_NULL = pl.lit(None, dtype=pl.Utf8)


def _keep(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    return value


def _utc(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """A time without a zone is UTC: ``2024-05-01 00:00:01`` becomes
    ``2024-05-01T00:00:01+00:00``; a time with a zone is kept."""
    return (
        pl.when(value.str.contains(_NAIVE_TIME))
        .then(value.str.replace(" ", "T", literal=True) + "+00:00")
        .otherwise(value)
    )


def _none_when(value: pl.Expr, condition: pl.Expr) -> pl.Expr:
    return pl.when(condition).then(_NULL).otherwise(value)


def _validate_to_none(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """Empty, ``0`` and ``unknown`` mean "no value"."""
    return _none_when(value, value.is_in(["", "0", "unknown"]))


def _invalidate_zero(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """A number that is zero (an ASN, a NAICS code) means "no value"."""
    return _none_when(value, value.str.contains(r"^\s*[+-]?0*\s*$"))


def _validate_ip(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """Only what looks like one address: not ``0.0.0.0``, not a network."""
    looks_like_ip = value.str.contains(_IPV4) | value.str.contains(_IPV6)
    return _none_when(value, ~looks_like_ip | (value == "0.0.0.0"))  # noqa: S104 - a value, not a bind


def _validate_network(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """Only networks (``192.0.2.0/24``); a single address goes to ``source.ip``."""
    return _none_when(value, ~value.str.contains("/", literal=True))


def _validate_fqdn(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """Only host names: not an address, not free text."""
    not_a_name = (
        ~value.str.contains(_HOST_NAME) | value.str.contains(_IPV4) | (value.str.len_bytes() > 255)
    )
    return _none_when(value, not_a_name)


def _convert_bool(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """ShadowServer's yes/no spellings as ``true``/``false``; anything else, no value."""
    lowered = value.str.strip_chars().str.to_lowercase()
    return (
        pl.when(lowered.is_in(_TRUE))
        .then(pl.lit("true"))
        .when(lowered.is_in(_FALSE))
        .then(pl.lit("false"))
        .otherwise(_NULL)
    )


def _force_base64(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
    """Values already in base64 are kept; the others are encoded."""
    return (
        pl.when(value == "")
        .then(_NULL)
        .when(value.str.contains(_BASE64))
        .then(value)
        .otherwise(value.str.encode("base64"))
    )


def _first_present(columns: Collection[str], *names: str) -> pl.Expr | None:
    return next((pl.col(name) for name in names if name in columns), None)


def _http_host_and_url(value: pl.Expr, columns: Collection[str]) -> pl.Expr:
    """A URL: the value when it already is one, else built from the host column
    (``cc_dns`` or ``http_host``) and the path column (``url`` or ``http_url``,
    which may hold a whole request line such as ``GET /x HTTP/1.1``); no value
    when neither works (a bare path is no URL; the raw line keeps it)."""
    is_url = value.str.contains("://", literal=True)
    host = _first_present(columns, "cc_dns", "http_host")
    path = _first_present(columns, "url", "http_url")
    if host is None or path is None:
        return pl.when(is_url).then(value).otherwise(_NULL)
    path = path.str.extract(r"^[^/]*(/\S*)", 1).fill_null("")  # "GET /x HTTP/1.1" -> "/x"
    scheme = pl.lit("http")
    if "application" in columns:
        application = pl.col("application")
        scheme = pl.when(application.is_in(["http", "https"])).then(application).otherwise(scheme)
    return (
        pl.when(is_url)
        .then(value)
        .when((host != "") & (path != ""))
        .then(pl.concat_str([scheme, pl.lit("://"), host, path]))
        .otherwise(_NULL)
    )


def _category_or_detail(value: pl.Expr, columns: Collection[str]) -> pl.Expr:
    """The category, or the ``detail`` column when the category is empty."""
    if "detail" not in columns:
        return value
    return pl.when(value == "").then(pl.col("detail")).otherwise(value)


def _exchange(webshell: str, otherwise: str) -> Conversion:
    """Vulnerable-Exchange reports: the ``tag`` tells a web shell (a compromise)
    from a server that is only vulnerable. IntelMQ's ``infected-system`` for the
    latter is not an RSIT type of ``vulnerable``; ``vulnerable-system`` is."""

    def convert(value: pl.Expr, _columns: Collection[str]) -> pl.Expr:
        is_webshell = value.str.strip_chars().str.to_lowercase() == "exchange;webshell"
        return pl.when(is_webshell).then(pl.lit(webshell)).otherwise(pl.lit(otherwise))

    return convert


CONVERSIONS: dict[str, Conversion] = {
    "add_UTC_to_timestamp": _utc,
    "convert_date_utc": _utc,
    "convert_date": _keep,
    "convert_int": _keep,
    "convert_float": _keep,
    "convert_bool": _convert_bool,
    "validate_to_none": _validate_to_none,
    "invalidate_zero": _invalidate_zero,
    "validate_ip": _validate_ip,
    "validate_network": _validate_network,
    "validate_fqdn": _validate_fqdn,
    "force_base64": _force_base64,
    "convert_http_host_and_url": _http_host_and_url,
    "category_or_detail": _category_or_detail,
    "scan_exchange_taxonomy": _exchange("intrusions", "vulnerable"),
    "scan_exchange_type": _exchange("system-compromise", "vulnerable-system"),
    "scan_exchange_identifier": _exchange("exchange-server-webshell", "vulnerable-exchange-server"),
}


def changes_values(name: str) -> bool:
    """Whether the conversion called ``name`` does more than keep the value."""
    return CONVERSIONS.get(name, _keep) is not _keep


def convert(name: str, column: str, columns: Collection[str]) -> pl.Expr:
    """The expression giving ``column``'s values converted by ``name`` (kept as
    they are when the name is empty or unknown)."""
    return CONVERSIONS.get(name, _keep)(pl.col(column), columns)

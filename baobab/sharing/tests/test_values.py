"""Indicator values: one canonical spelling per indicator, defanged values
read back, a clear sentence for what is not of its type."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baobab.sharing.values import (
    IndicatorType,
    InvalidValueError,
    guess,
    normalise,
    refang,
)

T = IndicatorType

CANONICAL = [
    (T.IP, " 192.0.2.1 ", "192.0.2.1"),
    (T.IP, "192.0.2[.]1", "192.0.2.1"),
    (T.IP, "2001:DB8:0:0::1", "2001:db8::1"),
    (T.IP, "[2001:db8::1]", "2001:db8::1"),
    (T.IP, "::ffff:192.0.2.9", "192.0.2.9"),
    (T.PREFIX, "192.0.2.77/24", "192.0.2.0/24"),
    (T.PREFIX, "2001:DB8::/32", "2001:db8::/32"),
    (T.DOMAIN, "Evil.Example.ORG.", "evil.example.org"),
    (T.DOMAIN, "evil[.]example[.]org", "evil.example.org"),
    (T.DOMAIN, "bücher.example", "xn--bcher-kva.example"),
    (T.DOMAIN, "_dmarc.example.org", "_dmarc.example.org"),
    (T.URL, "HTTP://Evil.Example.org/Path?Q=1", "http://evil.example.org/Path?Q=1"),
    (T.URL, "hxxps://evil[.]example[.]org/login", "https://evil.example.org/login"),
    (T.URL, "http://evil.example.org:80/", "http://evil.example.org/"),
    (T.URL, "https://evil.example.org:8443", "https://evil.example.org:8443/"),
    (T.URL, "http://[2001:DB8::1]/x", "http://[2001:db8::1]/x"),
    (T.URL, "http://192.0.2.1/a b", "http://192.0.2.1/a b"),
    (T.URL, "ftp://user:pw@files.example.org/x", "ftp://user:pw@files.example.org/x"),
    (T.EMAIL, "Phisher@Evil.Example.ORG", "Phisher@evil.example.org"),
    (T.EMAIL, "abuse[@]example[.]org", "abuse@example.org"),
    (T.MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
    (
        T.SHA1,
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ),
    (
        T.SHA256,
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855".lower(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (T.SHA512, "A" * 128, "a" * 128),
    (T.ASN, "AS64496", "AS64496"),
    (T.ASN, "as 64496", "AS64496"),
    (T.ASN, "64496", "AS64496"),
    (T.ASN, "4294967295", "AS4294967295"),
    (T.FILE_NAME, "  invoice.pdf.exe ", "invoice.pdf.exe"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), CANONICAL)
def test_canonical_spelling(kind: IndicatorType, raw: str, expected: str) -> None:
    assert normalise(kind, raw) == expected
    assert normalise(kind, expected) == expected  # canonical stays canonical


REFUSED = [
    (T.IP, "192.0.2.300", "not an IP address"),
    (T.IP, "", "empty"),
    (T.PREFIX, "192.0.2.1", "use the IP type"),
    (T.PREFIX, "192.0.2.0/33", "not an IP prefix"),
    (T.DOMAIN, "localhost", "not a domain name"),
    (T.DOMAIN, "-bad-.example.org", "not a domain name"),
    (T.DOMAIN, "192.0.2.1", "an address"),
    (T.DOMAIN, "a" * 64 + ".example.org", "not a domain name"),
    (T.URL, "evil.example.org/path", "not a URL"),
    (T.URL, "http:///path", "no host"),
    (T.URL, "http://evil.example.org:99999/", "not a URL"),
    (T.EMAIL, "no-at-sign.example.org", "not an e-mail address"),
    (T.EMAIL, "a b@example.org", "not an e-mail address"),
    (T.MD5, "d41d8cd98f00b204e9800998ecf8427", "32 hexadecimal digits"),
    (T.SHA256, "z" * 64, "SHA-256 hash"),
    (T.ASN, "AS0", "not an AS number"),
    (T.ASN, "AS4294967296", "not an AS number"),
    (T.FILE_NAME, "C:\\temp\\evil.exe", "a path"),
    (T.FILE_NAME, "evil\x00.exe", "control or invisible"),
]


@pytest.mark.parametrize(("kind", "raw", "reason"), REFUSED)
def test_a_value_not_of_its_type_is_refused_with_the_reason(
    kind: IndicatorType, raw: str, reason: str
) -> None:
    with pytest.raises(InvalidValueError, match=reason):
        normalise(kind, raw)


def test_an_unknown_type_lists_the_known_ones() -> None:
    with pytest.raises(InvalidValueError, match="Types: ip, prefix, domain"):
        normalise("hostname", "example.org")


def test_an_overlong_value_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="longer than 2,048"):
        normalise(T.URL, "http://example.org/" + "a" * 3000)
    # Counted in bytes: 700 Arabic letters are 1,400 bytes, 1,100 are 2,200.
    assert normalise(T.URL, "http://example.org/" + "ب" * 700)
    with pytest.raises(InvalidValueError, match="longer than 2,048 bytes"):
        normalise(T.URL, "http://example.org/" + "ب" * 1100)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hxxp://evil[.]example[.]org/x", (T.URL, "http://evil.example.org/x")),
        ("192.0.2.0/24", (T.PREFIX, "192.0.2.0/24")),
        ("2001:db8::1", (T.IP, "2001:db8::1")),
        ("phisher@evil.example", (T.EMAIL, "phisher@evil.example")),
        ("d41d8cd98f00b204e9800998ecf8427e", (T.MD5, "d41d8cd98f00b204e9800998ecf8427e")),
        ("AS64496", (T.ASN, "AS64496")),
        ("Evil.Example.org", (T.DOMAIN, "evil.example.org")),
        ("just some words", None),
        ("invoice.pdf.exe", (T.DOMAIN, "invoice.pdf.exe")),  # a name that parses as a domain
    ],
)
def test_guess(raw: str, expected: tuple[IndicatorType, str] | None) -> None:
    assert guess(raw) == expected


def test_refang_undoes_common_defanging() -> None:
    assert refang("evil[.]example(.)org [AT] x") == "evil.example.org @ x"
    assert refang("a[@]b[DOT]c") == "a@b.c"


@given(kind=st.sampled_from(list(IndicatorType)), raw=st.text(max_size=300))
def test_any_text_is_normalised_or_refused_and_canonical_is_a_fixed_point(
    kind: IndicatorType, raw: str
) -> None:
    try:
        value = normalise(kind, raw)
    except InvalidValueError as error:
        message = str(error)
    else:
        assert normalise(kind, value) == value
        return
    assert message  # a sentence for whoever gave the value

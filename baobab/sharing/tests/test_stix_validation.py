"""The fast validation of bundles gives exactly the messages of the plain,
unpatched ``stix2validator.validate_instance``, on valid and invalid
bundles, in one process and in worker processes."""

from __future__ import annotations

import copy
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_instance

from baobab.sharing.stix import fastcheck, validation
from baobab.sharing.stix.validation import bundle_errors

SAMPLES = Path(__file__).parent / "samples" / "stix"
C = "2024-03-04T10:11:12.000Z"


def _plain(bundle: dict[str, Any]) -> list[str]:
    """The unpatched library's verdict: its error messages, in its order (or
    the exception it raises, as :func:`validation.plain_errors` words it)."""
    try:
        result = validate_instance(copy.deepcopy(bundle), ValidationOptions(version="2.1"))
    except Exception:
        messages = validation.plain_errors(bundle)
        assert messages
        return messages
    return [str(error) for error in result.errors]


def _id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


def _indicator(pattern: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": _id("indicator"),
        "created": C,
        "modified": C,
        "name": "n",
        "pattern": pattern,
        "pattern_type": "stix",
        "valid_from": C,
        **extra,
    }


def _bundle(*objects: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "bundle", "id": _id("bundle"), "objects": list(objects), **extra}


def _every_kind() -> list[dict[str, Any]]:
    """Valid objects of many kinds: SDOs, SROs, SCOs, markings, custom objects."""
    org, ipv4 = _id("identity"), _id("ipv4-addr")
    indicator = _indicator("[domain-name:value = 'evil.example']")
    return [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": org,
            "created": C,
            "modified": C,
            "name": "Org",
            "identity_class": "organization",
        },
        indicator,
        _indicator("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", created_by_ref=org),
        _indicator("[ipv4-addr:value = '192.0.2.1'] OR [ipv4-addr:value = '192.0.2.2']"),
        _indicator("[autonomous-system:number = 64500]"),
        {
            "type": "malware",
            "spec_version": "2.1",
            "id": _id("malware"),
            "created": C,
            "modified": C,
            "name": "m",
            "is_family": True,
        },
        {
            "type": "sighting",
            "spec_version": "2.1",
            "id": _id("sighting"),
            "created": C,
            "modified": C,
            "sighting_of_ref": indicator["id"],
            "where_sighted_refs": [org],
            "count": 2,
        },
        {
            "type": "relationship",
            "spec_version": "2.1",
            "id": _id("relationship"),
            "created": C,
            "modified": C,
            "relationship_type": "related-to",
            "source_ref": indicator["id"],
            "target_ref": org,
        },
        {
            "type": "report",
            "spec_version": "2.1",
            "id": _id("report"),
            "created": C,
            "modified": C,
            "name": "r",
            "published": C,
            "object_refs": [indicator["id"]],
        },
        {
            "type": "observed-data",
            "spec_version": "2.1",
            "id": _id("observed-data"),
            "created": C,
            "modified": C,
            "first_observed": C,
            "last_observed": C,
            "number_observed": 1,
            "object_refs": [ipv4],
        },
        {"type": "ipv4-addr", "spec_version": "2.1", "id": ipv4, "value": "203.0.113.1"},
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": _id("marking-definition"),
            "created": C,
            "definition_type": "statement",
            "definition": {"statement": "Copyright"},
        },
        {
            "type": "x-example-thing",
            "spec_version": "2.1",
            "id": _id("x-example-thing"),
            "created": C,
            "modified": C,
            "x_value": 3,
        },
        {"type": "x-example-sco", "spec_version": "2.1", "id": _id("x-example-sco"), "x_v": "a"},
    ]


def _broken(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Bundles each with one kind of error (and some with several)."""
    indicator = objects[1]
    sighting = objects[6]

    def changed(index: int, **changes: Any) -> dict[str, Any]:
        copied = copy.deepcopy(objects)
        copied[index] = {**copied[index], **changes}
        for name in [name for name, value in changes.items() if value is None]:
            del copied[index][name]
        return _bundle(*copied)

    return {
        "valid": _bundle(*copy.deepcopy(objects)),
        "timestamp format": changed(1, created="2024-03-04 10:11:12"),
        "impossible date": changed(1, created="2024-02-30T10:00:00.000Z"),
        "leap second": changed(1, valid_from="2024-03-04T23:59:60.000Z"),
        "modified before created": changed(1, modified="2020-01-01T00:00:00.000Z"),
        "valid_until before valid_from": changed(1, valid_until="2020-01-01T00:00:00.000Z"),
        "bad id": changed(1, id="indicator--1234"),
        "id of another type": changed(1, id=f"malware--{uuid.uuid4()}"),
        "bad pattern": changed(1, pattern="[domain-name:value = 'x'"),
        "unknown object in pattern": changed(1, pattern="[Not_A_Type:value = 'x']"),
        "bad hash in pattern": changed(2, pattern="[file:hashes.MD5 = 'xyz']"),
        "missing pattern": changed(1, pattern=None),
        "missing name of report": changed(8, name=None),
        "missing object_refs": changed(8, object_refs=None),
        "confidence too high": changed(1, confidence=101),
        "revoked not boolean": changed(1, revoked="yes"),
        "created_by_ref not an id": changed(1, created_by_ref="identity-x"),
        "sighting of a bad reference": changed(6, sighting_of_ref="indicator--x"),
        "where sighted not identities": changed(6, where_sighted_refs=[indicator["id"]]),
        "marking ref not a marking": changed(1, object_marking_refs=[sighting["id"][:20]]),
        "custom type bad name": changed(12, type="X_Example", id=f"X_Example--{uuid.uuid4()}"),
        "bad custom property name": changed(12, **{"Bad Name": 1}),
        "no spec_version (2.0 object)": changed(5, spec_version=None),
        "bundle id": {**_bundle(*copy.deepcopy(objects)), "id": "bundle-1"},
        "bundle spec_version 2.0": _bundle(*copy.deepcopy(objects), spec_version="2.0"),
        "observed-data with objects": changed(
            9, objects={"0": {"type": "ipv4-addr", "value": "1.2.3.4"}}, object_refs=None
        ),
        "object without id": changed(10, id=None),
        "not an object": {**_bundle(*copy.deepcopy(objects)), "objects": [*objects, "text"]},
        "object without type": {**_bundle(), "objects": [*objects, {"id": _id("x-y")}]},
    }


_CASES = _broken(_every_kind())


@pytest.mark.parametrize("name", sorted(_CASES))
def test_the_fast_path_gives_the_validators_messages(name: str) -> None:
    bundle = _CASES[name]
    expected = _plain(bundle)
    assert bundle_errors(bundle) == expected
    assert bundle_errors(bundle) == expected  # again, with what it remembered
    if name == "valid":
        assert expected == []
    else:
        assert expected, f"{name}: the library found nothing wrong"


@pytest.mark.parametrize("name", ["opencti_style", "misp_style", "tlp2_markings", "invalid"])
def test_the_sample_bundles_get_the_validators_messages(name: str) -> None:
    bundle = json.loads((SAMPLES / f"{name}.json").read_text())
    assert bundle_errors(bundle) == _plain(bundle)
    assert bool(_plain(bundle)) is (name == "invalid")


def test_workers_give_the_same_messages_in_the_same_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(validation, "CHUNK", 7)
    objects = []
    for number in range(60):
        objects.append(_indicator(f"[ipv4-addr:value = '198.51.100.{number}']"))
    objects[5]["created"] = "2024-13-01T00:00:00Z"
    objects[17]["pattern"] = "[file:hashes.MD5 = 'nothex']"
    objects[33]["id"] = "indicator--nope"
    objects[59]["valid_until"] = "2000-01-01T00:00:00.000Z"
    bundle = _bundle(*objects, *_every_kind())
    expected = _plain(bundle)
    assert len(expected) >= 5
    assert bundle_errors(bundle, parallel_from=1) == expected
    assert bundle_errors(_bundle(*objects[:4]), parallel_from=1) == []


def test_a_remembered_pattern_shape_hides_no_bad_value() -> None:
    good = "d41d8cd98f00b204e9800998ecf8427e"
    bundle = _bundle(
        _indicator(f"[file:hashes.MD5 = '{good}']"),
        _indicator("[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427']"),  # 31 digits
        _indicator(f"[file:hashes.'SHA-256' = '{good}']"),  # an MD5 in a SHA-256
        _indicator("[ipv4-addr:value = '192.0.2.1']"),
        _indicator("[ipv4-addr:value = '192.0.2.1"),
        _indicator("[ipv4-addr:value = 'it''s']"),
        _indicator("[ipv4-addr:value = 'back\\slash']"),
        _indicator("[ipv4-addr:value = 'x']", pattern_version="2.0"),
    )
    assert bundle_errors(bundle) == _plain(bundle)
    assert len(_plain(bundle)) >= 4


_PATHS = st.sampled_from(
    [
        "ipv4-addr:value",
        "domain-name:value",
        "file:hashes.MD5",
        "file:hashes.'SHA-256'",
        "file:hashes.SHA1",
        "file:name",
        "x-custom:x_prop",
        "email-addr:value",
        "Bad:value",
        "url:value ",
        "file:hashes.'MD5'",
        "file:hashes.SHA-256",
        "x-a:b'c",
        "x-a:'b'.c",
        "autonomous-system:number",
    ]
)


def _quoted(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@settings(
    max_examples=int(os.environ.get("STIX_PATTERN_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.tuples(
            _PATHS,
            st.one_of(
                st.text(max_size=12),
                st.text(alphabet="0123456789abcdefABCDEF", min_size=30, max_size=66),
                st.integers(min_value=-5, max_value=10**11).map(str),
            ),
            st.booleans(),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_patterns_of_any_value_get_the_validators_verdict(
    comparisons: list[tuple[str, str, bool]],
) -> None:
    objects = []
    for path, value, quote in comparisons:
        literal = _quoted(value) if quote or not value.lstrip("-").isdigit() else value
        objects.append(_indicator(f"[{path} = {literal}]"))
    bundle = _bundle(*objects)
    assert bundle_errors(bundle) == _plain(bundle)


def test_times_remembered_hide_no_bad_time() -> None:
    first = _indicator("[ipv4-addr:value = '192.0.2.9']", created="2024-02-28T10:00:00.000Z")
    first["modified"] = first["created"]
    second = _indicator("[ipv4-addr:value = '192.0.2.9']", created="2024-02-28T10:00:00.000Z")
    second["modified"] = "2024-02-30T10:00:00.000Z"
    third = _indicator("[ipv4-addr:value = '192.0.2.9']", valid_until="2024-02-31T00:00:00.000Z")
    bundle = _bundle(first, second, third)
    assert bundle_errors(bundle) == _plain(bundle)
    assert len(_plain(bundle)) >= 2


def test_another_library_version_leaves_it_to_the_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fastcheck, "library_version", "9.9.9")
    bundle = _CASES["bad pattern"]
    calls: list[int] = []
    plain = validation.plain_errors

    def counted(data: Any) -> list[str]:
        calls.append(1)
        return plain(data)

    monkeypatch.setattr(validation, "plain_errors", counted)
    assert bundle_errors(bundle) == _plain(bundle)
    assert calls

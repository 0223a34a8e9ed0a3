"""TLP markings in STIX: the TLP 2.0 extension's marking definitions Baobab
writes, and every spelling of TLP it reads (TLP 1.0 ids, the TLP 2.0
extension ids, and tools' own marking definitions that name a TLP label)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from baobab.core.choices import TLP

TLP2_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

# The TLP 2.0 extension's marking definitions, by label.
TLP2_IDS: dict[TLP, str] = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

# STIX 2.1's own TLP 1.0 marking definitions (WHITE is TLP 2.0's CLEAR).
TLP1_IDS: dict[str, TLP] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}

KNOWN_IDS: dict[str, TLP] = {**TLP1_IDS, **{mid: tlp for tlp, mid in TLP2_IDS.items()}}

# From the least to the most restricted; an object with several TLP
# markings is held at the most restricted one.
_ORDER = list(TLP)


def marking_definition(tlp: TLP | str) -> dict[str, Any]:
    """The TLP 2.0 extension's marking definition for ``tlp``."""
    label = TLP(tlp)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[label],
        "created": TLP2_CREATED,
        "name": label.label,
        "extensions": {
            TLP2_EXTENSION: {"extension_type": "property-extension", "tlp_2_0": label.value}
        },
    }


def tlp_of_definition(definition: Mapping[str, Any]) -> TLP | None:
    """The TLP a marking-definition object states, however it spells it:
    a known id, the TLP 2.0 extension, STIX 2.1's ``definition_type: tlp``,
    or a name such as ``TLP:AMBER+STRICT`` (as some tools write)."""
    known = KNOWN_IDS.get(str(definition.get("id", "")))
    if known is not None:
        return known
    extension = (definition.get("extensions") or {}).get(TLP2_EXTENSION)
    candidates: list[Any] = []
    if isinstance(extension, Mapping):
        candidates.append(extension.get("tlp_2_0"))
    if definition.get("definition_type") == "tlp":
        candidates.append((definition.get("definition") or {}).get("tlp"))
    candidates.append(definition.get("name"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip().lower().startswith(("tlp", "white")):
            try:
                return TLP.from_label(candidate)
            except ValueError:
                continue
        if isinstance(candidate, str):
            try:
                return TLP(candidate.strip().lower())
            except ValueError:
                continue
    return None


def strictest(labels: Iterable[TLP]) -> TLP | None:
    """The most restricted of ``labels``, or None if there is none."""
    found = [TLP(label) for label in labels]
    return max(found, key=_ORDER.index) if found else None

"""The ids a STIX object names, and the object as a viewer may receive it
when some of those ids are hidden from them.

Every property whose name ends in ``_ref`` or ``_refs``, at any depth
(extensions, granular markings, custom properties), is a reference. A
viewer never receives an id Baobab holds but hides from them:

- an object that stands on a hidden one (a relationship's ends, what a
  sighting is of, any other single reference but its creator) is left out;
- a hidden creator (``created_by_ref``) is dropped from the object;
- hidden ids are taken out of lists; a report's (or note's, grouping's …)
  ``object_refs`` left empty names the object's creator (or its TLP
  marking) instead, since STIX wants at least one reference there;
- a granular marking whose marking definition is hidden is dropped.

Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Lists STIX requires to hold at least one id.
_NOT_EMPTY = frozenset({"object_refs"})
# Single references that may simply be left out when hidden.
_OPTIONAL = frozenset({"created_by_ref"})


def _is_reference(key: str) -> bool:
    return key.endswith(("_ref", "_refs"))


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if _is_reference(key):
                yield key, item
            else:
                yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def references_of(content: dict[str, Any]) -> list[str]:
    """Every STIX id ``content`` names (besides its own)."""
    found: list[str] = []
    for _key, value in _walk(content):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(item for item in value if isinstance(item, str))
    return found


class _StandsOnHiddenError(Exception):
    """The object needs a reference the viewer may not receive."""


def _fallback(content: dict[str, Any], hidden: set[str]) -> list[str]:
    creator = content.get("created_by_ref")
    if isinstance(creator, str) and creator not in hidden:
        return [creator]
    markings = [ref for ref in content.get("object_marking_refs", ()) if ref not in hidden]
    if markings:
        return markings[:1]
    raise _StandsOnHiddenError


def _cleaned(value: Any, hidden: set[str], top: dict[str, Any]) -> Any:
    if isinstance(value, list):
        items = [_cleaned(item, hidden, top) for item in value]
        return [item for item in items if item is not _DROP]
    if not isinstance(value, dict):
        return value
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        if key.endswith("_refs") and isinstance(item, list):
            kept = [ref for ref in item if ref not in hidden]
            if kept or not item:
                cleaned[key] = kept
            elif key in _NOT_EMPTY:
                cleaned[key] = _fallback(top, hidden)
            continue
        if key.endswith("_ref") and isinstance(item, str) and item in hidden:
            if key in _OPTIONAL:
                continue
            if key == "marking_ref":  # a granular marking: drop the marking
                return _DROP
            raise _StandsOnHiddenError
        cleaned[key] = _cleaned(item, hidden, top)
    return cleaned


_DROP: Any = object()


def as_seen(content: dict[str, Any], hidden: set[str]) -> dict[str, Any] | None:
    """``content`` as a viewer from whom ``hidden`` ids are hidden may
    receive it, or None if it stands on a hidden object."""
    if not hidden or not hidden.intersection(references_of(content)):
        return content
    try:
        seen = _cleaned(content, hidden, content)
    except _StandsOnHiddenError:
        return None
    if seen is _DROP:
        return None
    if seen.get("granular_markings") == []:
        del seen["granular_markings"]
    return seen

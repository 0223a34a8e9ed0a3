"""The checks of ``stix2validator.validate_instance`` on one bundle's objects,
giving the same messages in less time.

stix2-validator 3.3.2 spends most of its time on work it repeats for every
object: it builds a new JSON-schema validator and a new ``referencing``
registry per object, so every ``$ref`` re-reads and re-crawls the schema
files; and it parses each indicator's pattern twice with ANTLR. Here:

* one registry holding every schema file of the library (under the file URI
  its ``$ref`` resolves to, as ``validator.patch_schema`` writes it) is
  crawled once, and one validator is kept per schema file — the schema the
  library would use for that file (it caches it per file too, in
  ``_PATCHED_SCHEMAS``), so the verdicts are the library's own;
* the SHOULD checks (warnings) run for what they may raise, not for their
  words: warnings do not refuse a bundle;
* the check of timestamps (``musts.timestamp``) parses each distinct text
  once with the same ``dateutil`` call (the same text parses the same
  way), and lets the library's check word any failure;
* the pattern check (``musts.patterns``) is run as is, but a pattern of one
  comparison with a plain string or integer (``[ipv4-addr:value = '…']``)
  that passed it is remembered by its *shape*: the text around the value,
  the value's kind and, for a hash, which hash formats the value matches.
  ANTLR reads every such value as one token of the same type, and the checks
  after parsing look only at the object types, the property paths and (for
  hashes) those formats, so another pattern of that shape passes too.
  Patterns of other shapes, and every pattern that fails, go through the
  library's check each time.

Nothing in the library is patched or changed: what is used of it (its
schema files, ``find_schema``, ``patch_schema``, ``_schema_validate``,
``_iter_errors_custom``, ``list_musts``, ``pretty_error``) is called as it
is, and objects this module does not take a short cut for (STIX 2.0
objects, observed-data with embedded ``objects``) go through the library's
own ``_schema_validate``. The tests compare every verdict with the plain
``validate_instance``. Only the STIX 2.1 options Baobab validates with are
supported (no interop, no extra schema folder, not strict). No Django here:
worker processes import only this.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from referencing import Registry
from referencing.jsonschema import DRAFT202012
from stix2patterns.v21.object_validator import HASHES_REGEX
from stix2validator import ValidationOptions, util
from stix2validator import validator as library
from stix2validator.errors import pretty_error
from stix2validator.v21 import enums, musts, shoulds
from stix2validator.version import __version__ as library_version

# The version whose internals this module was written against and tested with.
SUPPORTED_VERSION = "3.3.2"
SCHEMA_DIR = str(pathlib.Path(library.__file__).parent / "schemas-2.1" / "schemas")

Messages = list[str]


def options() -> ValidationOptions:
    """The options Baobab validates bundles with (STIX 2.1, errors only count)."""
    return ValidationOptions(version="2.1")


_OPTIONS = options()


@functools.cache
def _registry() -> Registry[Any]:
    """Every schema file of the library, patched as the library patches them
    and crawled once."""
    resources = []
    for path in sorted(pathlib.Path(SCHEMA_DIR).rglob("*.json")):
        with path.open(encoding="utf-8") as handle:
            schema = library.patch_schema(json.load(handle), str(path))
        resources.append((path.as_uri(), DRAFT202012.create_resource(schema)))
    retrieve = functools.partial(library.retrieve_from_filesystem, schema_dir=SCHEMA_DIR)
    registry: Registry[Any] = Registry(retrieve=retrieve).with_resources(resources)  # type: ignore[call-arg]
    return registry.crawl()


@functools.cache
def _schema_validator(name: str, default: str) -> Any:
    """The validator the library builds for an object of type ``name`` (its
    ``_get_error_generator`` with the built-in 2.1 schemas)."""
    path = library.find_schema(SCHEMA_DIR, name) or library.find_schema(SCHEMA_DIR, default)
    schema = library.load_schema(path)
    if name == "bundle":  # as the library does: each object is checked on its own
        schema["properties"]["objects"] = {"objects": {"type": "array", "minItems": 1}}
    schema = library.patch_schema(schema, path)
    return library.STIXValidator(
        schema, registry=_registry(), format_checker=library.Draft202012Validator.FORMAT_CHECKER
    )


def _version(obj: Mapping[str, Any], bundle_version: Any) -> str:
    """The STIX version the library validates ``obj`` as (``find_version``)."""
    if bundle_version == "2.0":
        return "2.0"
    if bundle_version == "2.1" and "spec_version" not in obj and "created" in obj:
        return "2.0"
    return "2.1"


def schema_messages(obj: Any, bundle_version: Any = None) -> Messages:
    """The schema errors of one object, as ``validate_instance`` words them."""
    plain = (
        isinstance(obj, dict)
        and isinstance(obj.get("type"), str)
        and isinstance(obj.get("id"), str)
        and _version(obj, bundle_version) == "2.1"
        and not (obj["type"] == "observed-data" and "objects" in obj)
    )
    if not plain:
        generators = library._schema_validate(obj, _OPTIONS, bundle_version)
        return [
            prefix + pretty_error(error, _OPTIONS.verbose)
            for generator, prefix in generators
            for error in generator
        ]
    core = "core"
    if "created" not in obj and "modified" not in obj and obj["type"] != "marking-definition":
        core = "cyber-observable-core"
    prefix = obj["id"] + ": "
    return [
        prefix + pretty_error(error, _OPTIONS.verbose)
        for error in _schema_validator(obj["type"], core).iter_errors(obj)
    ]


# --- patterns ---------------------------------------------------------------------------------

# One comparison of a property with a plain string or a positive integer;
# the property path of plain or quoted names (so its tokens end where it does).
_NAME = r"(?:[A-Za-z0-9_-]+|'[A-Za-z0-9_-]+')"
_ONE_COMPARISON = re.compile(
    rf"""^(?P<before>\[\s*[a-z0-9-]+:{_NAME}(?:\.{_NAME})*\s*=\s*)
        (?:'(?P<text>[^'\\\x00-\x1f\x7f-\x9f\ud800-\udfff]*)'|(?P<number>[1-9][0-9]{{0,9}}))
        (?P<after>\s*\])$""",
    re.VERBOSE,
)
_HASH_FORMATS = tuple(re.compile(expression) for expression, _name in HASHES_REGEX.values())
_PASSED_SHAPES: set[tuple[Any, ...]] = set()


def pattern_shape(instance: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """What the pattern check's verdict on ``instance`` depends on, for a
    pattern of one comparison with a plain value; None for other patterns."""
    pattern = instance.get("pattern")
    if not isinstance(pattern, str):
        return None
    found = _ONE_COMPARISON.match(pattern)
    if found is None:
        return None
    version = instance.get("pattern_version", instance.get("spec_version", "2.1"))
    text = found["text"]
    formats: tuple[bool, ...] | None = None
    if text is not None and "hashes" in found["before"]:
        formats = tuple(bool(expression.match(text)) for expression in _HASH_FORMATS)
    kind = "number" if text is None else "text"
    return (repr(version), found["before"], found["after"], kind, formats)


def patterns(instance: Mapping[str, Any], options: ValidationOptions) -> Iterator[Any]:
    """``musts.patterns``, run once per shape of pattern that passes it."""
    shape = pattern_shape(instance) if _is_stix_pattern(instance) else None
    if shape is not None and shape in _PASSED_SHAPES:
        return
    errors = list(musts.patterns(instance, options))
    if shape is not None and not errors:
        _PASSED_SHAPES.add(shape)
    yield from errors


def _is_stix_pattern(instance: Mapping[str, Any]) -> bool:
    return instance.get("type") == "indicator" and instance.get("pattern_type", "") == "stix"


# --- timestamps -------------------------------------------------------------------------------

_PARSED_TIMES: set[str] = set()
_MAX_PARSED_TIMES = 200_000


def _times_of(instance: Mapping[str, Any]) -> list[Any] | None:
    """The values ``musts.timestamp`` parses, or None when it looks further
    (into cyber observables)."""
    if util.has_cyber_observable_data(instance, "2.1"):
        return None
    names = ["created", "modified", *enums.TIMESTAMP_PROPERTIES.get(instance["type"], ())]
    return [instance[name] for name in names if name in instance]


def timestamps(instance: Mapping[str, Any]) -> Iterator[Any]:
    """``musts.timestamp``: each text it would parse is parsed once (the same
    text parses the same way); on a failure the library's check words it."""
    values = _times_of(instance)
    if values is None or not all(isinstance(value, str) for value in values):
        yield from musts.timestamp(instance)
        return
    for value in values:
        if value in _PARSED_TIMES or not musts.TIMESTAMP_FORMAT_RE.match(value):
            continue
        try:
            musts.parser.parse(value)
        except ValueError:
            yield from musts.timestamp(instance)
            return
        if len(_PARSED_TIMES) > _MAX_PARSED_TIMES:
            _PARSED_TIMES.clear()
        _PARSED_TIMES.add(value)


@functools.cache
def _checks() -> list[Callable[..., Any]]:
    """The library's MUST checks; patterns remembered per shape, times per text."""
    replaced: dict[Any, Callable[..., Any]] = {
        musts.patterns: patterns,
        musts.timestamp: timestamps,
    }
    return [replaced.get(check, check) for check in musts.list_musts(_OPTIONS)]


@functools.cache
def _should_checks() -> list[Callable[..., Any]]:
    return list(shoulds.list_shoulds(_OPTIONS))


def custom_messages(obj: Any) -> Messages:
    """The errors of the library's MUST checks on one object (none for what
    the library does not check: an item of a bundle without ``id`` or ``type``).

    The SHOULD checks run too, their warnings unused: on some malformed
    objects they raise, and then so does ``validate_instance``."""
    if not library._is_stix_obj(obj):
        return []
    for warning in library._iter_errors_custom(obj, _should_checks(), _OPTIONS):
        pretty_error(warning, _OPTIONS.verbose)
    return [
        pretty_error(error, _OPTIONS.verbose)
        for error in library._iter_errors_custom(obj, _checks(), _OPTIONS)
    ]


def check_objects(
    objects: Sequence[Any], bundle_version: Any
) -> tuple[list[Messages], list[Messages]]:
    """The schema errors and the MUST-check errors of each of ``objects``."""
    return (
        [schema_messages(obj, bundle_version) for obj in objects],
        [custom_messages(obj) for obj in objects],
    )


def warm() -> None:
    """Build the registry and the validators of the common types now (before
    worker processes are forked, so they inherit them)."""
    for name in ("bundle", "indicator", "report", "sighting", "relationship", "identity"):
        _schema_validator(name, "core")
    _checks()


def supported() -> bool:
    """Whether the installed library is the one this module mirrors."""
    return bool(library_version == SUPPORTED_VERSION)

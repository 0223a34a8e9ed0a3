"""Validating a STIX 2.1 bundle as ``stix2validator.validate_instance`` does,
fast enough for bundles of 100,000 objects.

:func:`bundle_errors` gives exactly the error messages of
``validate_instance(bundle, ValidationOptions(version="2.1"))``, in the same
order: the bundle's own schema errors, each object's schema errors, then the
MUST-check errors of the bundle and of each object. Large bundles are
checked in chunks by worker processes, one per core; each chunk's objects
go through :mod:`baobab.sharing.stix.fastcheck`, which takes the library's
checks without its repeated set-up work. The library itself is not
patched: where the short cut does not apply (an installed version other
than the one it was written for, unusual bundles, input it fails on) the
plain ``validate_instance`` answers. Warnings are not kept: they do not
refuse a bundle.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from stix2validator import validate_instance
from stix2validator.errors import ValidationError as LibraryValidationError

from baobab.sharing.stix import fastcheck

# From this many objects on, the bundle is checked by worker processes.
PARALLEL_FROM = 4_000
CHUNK = 2_000

Messages = list[str]

# In a worker process: the objects of the bundle it checks parts of.
_worker_objects: Sequence[Any] = ()


def plain_errors(bundle: Mapping[str, Any]) -> Messages:
    """The errors of the plain library on ``bundle`` (an exception it raises
    on malformed input is one error)."""
    try:
        result = validate_instance(dict(bundle), fastcheck.options())
    except LibraryValidationError as error:
        return [str(error)]
    except Exception as error:  # the validator fails on this input: it is refused
        return [f"The STIX validator cannot check this bundle ({type(error).__name__}: {error})."]
    return [str(error) for error in result.errors]


def _plain_only(bundle: Mapping[str, Any]) -> bool:
    """Bundles the fast path leaves to the library: another library version,
    items that are not objects with a type, lists besides ``objects``."""
    objects = bundle.get("objects")
    if not fastcheck.supported() or not isinstance(objects, list):
        return True
    if any(isinstance(value, list) for key, value in bundle.items() if key != "objects"):
        return True
    return not all(isinstance(obj, dict) and "type" in obj for obj in objects)


def _adopt(objects: Sequence[Any]) -> None:
    """Worker start: keep the bundle's objects (inherited when forked, not copied)."""
    global _worker_objects  # noqa: PLW0603 - one bundle per worker process
    _worker_objects = objects


def _check_range(
    start: int, end: int, bundle_version: Any
) -> tuple[list[Messages], list[Messages]]:
    """Worker task: check the objects ``start:end`` of the bundle."""
    return fastcheck.check_objects(_worker_objects[start:end], bundle_version)


def _workers() -> int:
    """Worker processes to use: one per core, none inside a daemon process
    (a Celery worker's children may not have children)."""
    if multiprocessing.current_process().daemon:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _in_parallel(
    objects: Sequence[Any], bundle_version: Any
) -> tuple[list[Messages], list[Messages]] | None:
    """The checks of every object, by one worker process per core; None when
    the workers could not do it (the caller checks in this process)."""
    fastcheck.warm()  # before forking: the workers inherit the validators
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    ranges = [(start, min(start + CHUNK, len(objects))) for start in range(0, len(objects), CHUNK)]
    schema: list[Messages] = []
    custom: list[Messages] = []
    try:
        with ProcessPoolExecutor(
            max_workers=_workers(), mp_context=context, initializer=_adopt, initargs=(objects,)
        ) as pool:
            futures = [
                pool.submit(_check_range, start, end, bundle_version) for start, end in ranges
            ]
            for future in futures:
                part_schema, part_custom = future.result()
                schema.extend(part_schema)
                custom.extend(part_custom)
    except Exception:  # no workers here, or input they failed on: it is checked here
        return None
    return schema, custom


def bundle_errors(bundle: Mapping[str, Any], *, parallel_from: int = PARALLEL_FROM) -> Messages:
    """The validator's error messages for ``bundle`` (none: it is valid)."""
    if bundle.get("type") != "bundle" or _plain_only(bundle):
        return plain_errors(bundle)
    objects: list[Any] = bundle["objects"]
    bundle_version = bundle.get("spec_version", "2.1")
    envelope = {key: value for key, value in bundle.items() if key != "objects"}
    checked = None
    if len(objects) >= parallel_from and _workers() > 1:
        checked = _in_parallel(objects, bundle_version)
    try:
        schema, custom = checked or fastcheck.check_objects(objects, bundle_version)
        messages = fastcheck.schema_messages(dict(bundle))
        for part in schema:
            messages.extend(part)
        messages.extend(fastcheck.custom_messages(envelope))
    except Exception:  # input the short cut did not foresee: the library decides
        return plain_errors(bundle)
    for part in custom:
        messages.extend(part)
    return messages

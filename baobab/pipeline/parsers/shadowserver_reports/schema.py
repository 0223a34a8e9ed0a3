"""Reading ShadowServer's published report schema (``schema.json`` from
https://interchange.shadowserver.org/intelmq/v1/schema, the file IntelMQ
consumes): ``{"<report>": {"feed_name", "file_name", "constant_fields",
"required_fields", "optional_fields"}, "_meta": {...}}``.

An operator copies the file in (Baobab never fetches it at run time); each of
its report types then reads like a built-in one. The file is read once per
change (its path, size and modification time are the cache key).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from baobab.pipeline.parsers.base import ReportError
from baobab.pipeline.parsers.shadowserver_reports.spec import ReportSpec, spec_from_entry


def parse_schema(data: Any, source: str = "the ShadowServer schema") -> dict[str, ReportSpec]:
    """The report types of a decoded schema, by report name (the file-name part).
    Keys starting with ``_`` (``_meta``) are not report types."""
    if not isinstance(data, Mapping):
        raise ReportError(f"{source} is not a JSON object of report types")
    reports: dict[str, ReportSpec] = {}
    for key, entry in data.items():
        if not isinstance(key, str) or key.startswith("_"):
            continue
        spec = spec_from_entry(key, entry)
        reports[spec.name] = spec
    if not reports:
        raise ReportError(f"{source} holds no report type")
    return reports


def load_schema_file(path: str | os.PathLike[str]) -> dict[str, ReportSpec]:
    """The report types of the schema file at ``path``; :class:`ReportError`
    when it cannot be read or is not a ShadowServer schema."""
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as error:
        raise ReportError(
            f"Cannot read the ShadowServer schema file {file}: {error.strerror or error}"
        ) from error
    return dict(_load(str(file), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=8)
def _load(path: str, _mtime_ns: int, _size: int) -> dict[str, ReportSpec]:
    source = f"the ShadowServer schema file {path}"
    try:
        data = json.loads(Path(path).read_bytes())
    except OSError as error:
        raise ReportError(f"Cannot read {source}: {error.strerror or error}") from error
    except ValueError as error:  # JSON or UTF-8 errors
        raise ReportError(f"{source[0].upper()}{source[1:]} is not JSON: {error}") from error
    return parse_schema(data, source)

"""Which event fields an :class:`~baobab.pipeline.models.Event` keeps as
columns, and the whole event put back together from its columns and ``data``.

``data`` holds only what no column holds (``raw``, ``extra.*``, the AS name…):
each stored byte costs every one of millions of inserts, and the columns are
the truth for what they hold (a team deleted since leaves ``team_id`` empty).
Events stored before ``data`` was made compact hold everything there; the
columns still win."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from baobab.pipeline import fields as f

if TYPE_CHECKING:
    from baobab.pipeline.models import Event

# Event columns filled straight from a field of the event.
COLUMN_OF_FIELD = {
    "dedup_key": f.DEDUP_KEY,
    "time_source": "time.source",
    "time_observation": "time.observation",
    "source_ip": "source.ip",
    "source_port": "source.port",
    "source_asn": "source.asn",
    "source_cc": "source.geolocation.cc",
    "source_fqdn": "source.fqdn",
    "source_url": "source.url",
    "destination_ip": "destination.ip",
    "destination_port": "destination.port",
    "classification_taxonomy": "classification.taxonomy",
    "classification_type": "classification.type",
    "classification_identifier": "classification.identifier",
    "protocol_transport": "protocol.transport",
    "protocol_application": "protocol.application",
    "malware_name": "malware.name",
    "team_id": f.TEAM_ID,
    "organisation_id": f.ORGANISATION_ID,
    "claim_id": f.CLAIM_ID,
    "route_step": f.ROUTE_STEP,
}
# The fields ``data`` leaves out: their columns hold them.
IN_COLUMNS = frozenset(COLUMN_OF_FIELD.values())
# Text columns that are NOT NULL in the database: the empty string is "none".
TEXT_COLUMNS = frozenset(
    {
        "source_cc",
        "source_fqdn",
        "source_url",
        "classification_taxonomy",
        "classification_type",
        "classification_identifier",
        "protocol_transport",
        "protocol_application",
        "malware_name",
        "route_step",
    }
)
MOMENT_COLUMNS = ("time_source", "time_observation")
INT_COLUMNS = frozenset(
    {"source_port", "source_asn", "destination_port", "team_id", "organisation_id", "claim_id"}
)


def _field_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return f.moment_text(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    if value == "":
        return None
    return value


def event_record(event: Event) -> dict[str, Any]:
    """Every field of ``event`` with its flat dotted name (as the pipeline
    produced it): ``data`` with the values of the columns put back."""
    record: dict[str, Any] = dict(event.data) if isinstance(event.data, dict) else {}
    for column, name in COLUMN_OF_FIELD.items():
        value = _field_value(getattr(event, column))
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    return record

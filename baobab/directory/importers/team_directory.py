"""What the two public team directories (Trusted Introducer and FIRST) share:
business hours with their time zone, the web site, and the team's own
contact, kept as a role mailbox shared with the community at TLP:GREEN."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from baobab.core.choices import TLP, Distribution
from baobab.directory.choices import ContactKind
from baobab.directory.importers.common import as_text, clean_url, map_timezone
from baobab.directory.importers.records import ContactItem, HolderRef, Record


def put_hours(fields: dict[str, Any], record: Record, hours: Any, zone: Any) -> None:
    """Business hours and their time zone; a zone not understood is a warning."""
    hours_text = as_text(hours)
    if hours_text:
        fields["business_hours"] = hours_text[:120]
    zone_text = as_text(zone)
    timezone = map_timezone(zone_text)
    if timezone:
        fields["timezone"] = timezone
    elif zone_text:
        record.warnings.append(
            _("Time zone %(zone)s is not understood; left out.") % {"zone": zone_text}
        )


def put_website(fields: dict[str, Any], record: Record, text: str) -> None:
    """The web site; something that is not a web address is a warning."""
    website = clean_url(text)
    if website:
        fields["website"] = website
    elif text:
        record.warnings.append(
            _("Web site %(url)s is not a web address; left out.") % {"url": text}
        )


def team_contact(holder: HolderRef, name: str, fields: dict[str, Any]) -> ContactItem:
    """The team's own contact as the directory publishes it."""
    return ContactItem(
        holder,
        name,
        fields,
        create_only={
            "kind": ContactKind.ROLE,
            "tlp": TLP.GREEN,
            "distribution": Distribution.COMMUNITY,
        },
    )

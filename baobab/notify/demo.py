"""The demo community's notifications: every demo team with an address gets
the default daily digest; one national team also writes straight to an ISP's
abuse desk (CSV, copy to the team) and holds a weekly summary for review.
One run builds their messages from the demo events and delivers them (to
``.eml`` files under ``BAOBAB_DATA_DIR/mail`` in the embedded mode), so a
newcomer sees what a team receives."""

from __future__ import annotations

from django.utils import timezone

from baobab.core.models import Team
from baobab.directory.models import Contact
from baobab.notify import delivery, outbox, services
from baobab.notify.choices import Delegation, RecipientKind, Scope
from baobab.notify.models import NotificationPolicy


def load() -> dict[str, int]:
    """Create the demo policies and fill the outbox; counts of what was made."""
    if NotificationPolicy.objects.filter(team__is_demo=True).exists():
        return {}
    teams = list(Team.objects.filter(is_demo=True).order_by("short_name"))
    policies = [p for team in teams if (p := services.ensure_default_policy(team)) is not None]
    desk = (
        Contact.objects.filter(organisation__managed_by__is_demo=True, organisation__isnull=False)
        .select_related("organisation__managed_by")
        .order_by("pk")
        .first()
    )
    if desk is not None and desk.organisation is not None:
        team = desk.organisation.managed_by
        policies.append(
            services.create_policy(
                team,
                {
                    "name": f"{desk.organisation.name}: direct",
                    "recipient_kind": RecipientKind.CONTACT,
                    "contact": desk,
                    "scope": Scope.ORGANISATION,
                    "interval": "daily",
                    "delegation": Delegation.COPY_TEAM,
                    "sign": False,
                },
                acting_user=None,
            )
        )
        policies.append(
            services.create_policy(
                team,
                {
                    "name": "Weekly summary, reviewed",
                    "interval": "weekly",
                    "format": "inline",
                    "language": "fr",
                    "delegation": Delegation.HOLD,
                    "sign": False,
                },
                acting_user=None,
            )
        )
    NotificationPolicy.objects.filter(pk__in=[p.pk for p in policies]).update(sign=False)
    now = timezone.now()
    built = outbox.run(now=now, force=True)
    sent = delivery.deliver(now=now)
    return {"notification policies": len(policies), "messages": len(built.built), "sent": sent.sent}

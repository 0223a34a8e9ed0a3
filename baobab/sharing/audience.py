"""Who may see an object, in plain words: what each distribution means, and
one sentence for a marking (TLP, distribution, group, named teams), shown
next to the choices of the share section and on each object's page."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _

from baobab.core.choices import TLP, Distribution
from baobab.core.models import SharingGroup, Team

DISTRIBUTION_DESCRIPTIONS = {
    Distribution.TEAM: _("Only your own team (and any team named below)."),
    Distribution.GROUP: _("The teams of the sharing group chosen below."),
    Distribution.COMMUNITY: _("Every team of the community."),
    Distribution.PUBLIC: _(
        "Anybody, outside the community too — with TLP:CLEAR only; "
        "with another TLP it stays within the community."
    ),
}


def audience(
    tlp: str,
    distribution: str,
    *,
    team: Team | None = None,
    group: SharingGroup | str | None = None,
    recipients: Iterable[Team] = (),
) -> str:
    """Who may see an object so marked, in one plain sentence."""
    named = ", ".join(str(recipient) for recipient in recipients)
    own = str(team) if team is not None else _gettext("Your team")
    if tlp == TLP.RED:
        sentence = _gettext("%(team)s only.") % {"team": own}
    elif distribution == Distribution.PUBLIC and tlp == TLP.CLEAR:
        return _gettext("Anybody, outside the community too.")
    elif distribution in (Distribution.COMMUNITY, Distribution.PUBLIC):
        sentence = _gettext("Every team of the community.")
    elif distribution == Distribution.GROUP:
        sentence = _gettext("%(team)s and the teams of the sharing group %(group)s.") % {
            "team": own,
            "group": group if group is not None else "…",
        }
    else:
        sentence = _gettext("%(team)s only.") % {"team": own}
    if named and not (distribution == Distribution.PUBLIC and tlp == TLP.CLEAR):
        sentence += " " + _gettext("Also named: %(teams)s.") % {"teams": named}
    return sentence

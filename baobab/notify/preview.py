"""A template's preview: the subject and body it gives with real events of
the team, as the first digest of one of its policies would fill them.

Read-only: the events are the newest ones the policy's scope picks (whether
already sent or not), so a team sees a preview as soon as it has events at
all; nothing is stored and the policy's mark is not moved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from baobab.core.models import Team
from baobab.notify.attachments import plain_events
from baobab.notify.digest import build_digests
from baobab.notify.models import NotificationPolicy
from baobab.notify.outbox import (
    engine_policy,
    events_frame,
    message_parts,
    pending_events,
    reference_of,
)
from baobab.notify.rendering import (
    TemplateProblem,
    check_template,
    render_message,
)

# Events a preview reads at most, newest first.
PREVIEW_EVENTS = 200


@dataclass(slots=True)
class Preview:
    """A rendered template, or why it could not be rendered."""

    subject: str = ""
    body: str = ""
    policy: NotificationPolicy | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def rendered(self) -> bool:
        return self.policy is not None and not self.problems


def sample_context(
    team: Team, language: str, *, now: dt.datetime | None = None
) -> tuple[NotificationPolicy, dict[str, Any]] | None:
    """The context of the first digest one of the team's enabled policies
    builds from the newest events of its scope, in ``language``; None when
    no policy picks any event."""
    now = now or timezone.now()
    policies = team.notification_policies.filter(enabled=True).select_related(
        "team", "contact__organisation", "template"
    )
    for policy in policies.order_by("pk"):
        newest = list(pending_events(policy, after=0).order_by("-pk")[:PREVIEW_EVENTS])
        if not newest:
            continue
        events = events_frame(reversed(newest))
        digests = build_digests(events, [engine_policy(policy)], now=now)
        if not digests:
            continue
        digest = digests[0]
        reference = reference_of(policy, digest.id, now)
        context, _attachment = message_parts(
            policy, digest, plain_events(events), reference=reference, language=language
        )
        return policy, dict(context)
    return None


def preview_template(team: Team, language: str, subject: str, body: str) -> Preview:
    """``subject`` and ``body`` rendered with a digest of the team's events."""
    problems = check_template(subject, body)
    if problems:
        return Preview(problems=problems)
    sample = sample_context(team, language)
    if sample is None:
        return Preview(
            problems=[_("No policy of the team picks any event yet: there is nothing to show.")]
        )
    policy, context = sample
    try:
        text = render_message(subject, body, context)
    except TemplateProblem as problem:  # the sample contexts did not hit it; these events do
        return Preview(problems=[str(problem)])
    return Preview(subject=text.subject, body=text.body, policy=policy)

"""Digest streams and digest ids.

Policies that share a recipient, template, format, language, grouping fields
and interval start feed one stream: an event several of them want appears
once in its digest. A digest's id hashes its stream's identity and its
grouping key, so building the same interval again gives the same ids (the
outbox's unique key: nothing is sent twice). Pure: no Django, no I/O.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from baobab.notify.intervals import policy_interval
from baobab.notify.policy import Format, Policy, RecipientKey

_ID_VERSION = "baobab-digest-1"
# recipient, template, format, language, grouping fields, interval start
_Identity = tuple[RecipientKey, str, str, str, tuple[str, ...], dt.datetime]


@dataclass(frozen=True, slots=True)
class Stream:
    """What the policies of one stream share, and which they are."""

    recipient: RecipientKey
    template: str
    format: Format
    language: str
    group_by: tuple[str, ...]
    interval_start: dt.datetime
    max_inline: int  # the largest of its policies'
    policies: tuple[int, ...]  # positions in the policies given
    seed: bytes = field(init=False, repr=False, compare=False)  # what ids hash first

    def __post_init__(self) -> None:
        object.__setattr__(self, "seed", self._id_seed())

    def _id_seed(self) -> bytes:
        """The part of its digests' ids the stream fixes."""
        moment = self.interval_start.astimezone(dt.UTC).isoformat()
        identity = [
            _ID_VERSION,
            list(self.recipient),
            self.template,
            self.format,
            self.language,
            list(self.group_by),
            moment,
        ]
        return _canonical(identity) + b"\n"

    def digest_id(self, key: Sequence[object]) -> str:
        """The id of this stream's digest for the grouping key ``key``."""
        return hashlib.sha256(self.seed + _canonical(list(key))).hexdigest()[:40]


_ENCODER = json.JSONEncoder(default=str, ensure_ascii=False, separators=(",", ":"))


def _canonical(value: object) -> bytes:
    return _ENCODER.encode(value).encode()


def digest_id(
    recipient: RecipientKey,
    *,
    template: str,
    format: Format,
    language: str,
    grouping: Sequence[tuple[str, object]],
    interval_start: dt.datetime,
) -> str:
    """A digest's stable id (40 hex digits): the same recipient, template,
    format, language, grouping key (field, value pairs) and interval start,
    the same id."""
    stream = Stream(
        recipient=recipient,
        template=template,
        format=format,
        language=language,
        group_by=tuple(name for name, _ in grouping),
        interval_start=interval_start,
        max_inline=0,
        policies=(),
    )
    return stream.digest_id([value for _, value in grouping])


def streams_of(policies: Sequence[Policy], now: dt.datetime) -> tuple[list[Stream], list[int]]:
    """The streams of ``policies`` for the intervals containing ``now``, in
    a stable order (whatever the policies' order), and each policy's stream."""
    members: dict[_Identity, list[int]] = {}
    starts: dict[tuple[object, ...], dt.datetime] = {}
    for index, policy in enumerate(policies):
        schedule = (policy.interval, policy.timezone, policy.at_hour, policy.weekday)
        if schedule not in starts:
            starts[schedule] = policy_interval(policy, now)[0]
        identity: _Identity = (
            policy.recipient,
            policy.template,
            policy.format,
            policy.language,
            policy.group_by,
            starts[schedule],
        )
        members.setdefault(identity, []).append(index)
    streams: list[Stream] = []
    stream_of = [0] * len(policies)
    for identity in sorted(members):
        indices = members[identity]
        for index in indices:
            stream_of[index] = len(streams)
        first = policies[indices[0]]
        streams.append(
            Stream(
                recipient=first.recipient,
                template=first.template,
                format=first.format,
                language=first.language,
                group_by=first.group_by,
                interval_start=identity[5],
                max_inline=max(policies[i].max_inline for i in indices),
                policies=tuple(indices),
            )
        )
    return streams, stream_of

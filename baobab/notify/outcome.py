"""What a delivery attempt came to, the same for every channel, so the outbox
maps it to a message state without knowing the transport."""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """The result of one delivery attempt to one recipient or endpoint."""

    SENT = "sent"
    """The server took responsibility for the message."""
    RETRY = "retry"
    """A transient failure (timeout, connection refused, 4xx): try again later."""
    FAILED = "failed"
    """A permanent failure (5xx, 4xx webhook answer): retrying will not help."""

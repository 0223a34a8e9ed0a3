"""Report e-mails: whether a message is one we want (sender, subject), and
the attachments it carries."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses

from baobab.pipeline.collectors.base import clean_file_name

# Parts that sign or vouch for a message rather than carry a report.
SIGNATURE_TYPES = frozenset(
    {
        "application/pgp-signature",
        "application/pgp-keys",
        "application/pkcs7-signature",
        "application/x-pkcs7-signature",
    }
)


@dataclass(frozen=True)
class Attachment:
    """One attached file, decoded."""

    name: str
    content_type: str
    payload: bytes


def parse(raw: bytes) -> EmailMessage:
    """A message (or only its header) parsed with today's e-mail policy."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def senders(message: Message) -> list[str]:
    """The addresses in the message's From header, in lower case."""
    values = [str(value) for value in message.get_all("From", [])]
    return [address.lower() for _name, address in getaddresses(values) if address]


def subject(message: Message) -> str:
    """The message's subject, decoded."""
    return str(message.get("Subject", "") or "")


def wanted(message: Message, *, sender: str, subject_contains: str) -> bool:
    """Whether the message passes the feed's filters: ``sender`` found in
    one of its From addresses, ``subject_contains`` in its subject (both
    ignoring case; empty filters pass everything)."""
    if sender and not any(sender.lower() in address for address in senders(message)):
        return False
    return not subject_contains or subject_contains.lower() in subject(message).lower()


def attachments(message: Message, pattern: str = "*") -> Iterator[Attachment]:
    """The message's attached files whose name matches ``pattern`` (a glob,
    any case), signatures left out."""
    for index, part in enumerate(message.walk()):
        if part.is_multipart():
            continue
        raw_name = part.get_filename()
        content_type = part.get_content_type()
        if not raw_name or content_type in SIGNATURE_TYPES:
            continue
        name = clean_file_name(raw_name, default=f"attachment-{index}")
        if not fnmatch.fnmatchcase(name.lower(), pattern.lower()):
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            yield Attachment(name=name, content_type=content_type, payload=payload)

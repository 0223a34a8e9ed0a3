"""Notification e-mails as :class:`email.message.EmailMessage`: subject, a
plain-text body, an optional HTML alternative, attachments (CSV, JSON …) and
the headers a recipient's tooling reads: the reference number to quote and
the TLP label.

Every part is 7-bit clean (quoted-printable or base64) and ``From `` at the
start of a line is escaped, so a message can be signed with PGP/MIME as it is
and no relay or mailbox can change a byte the signature covers.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, getaddresses, make_msgid

from baobab.core.choices import TLP

REFERENCE_HEADER = "X-Baobab-Reference"
TLP_HEADER = "X-Baobab-TLP"

WIRE_POLICY = email.policy.SMTP.clone(cte_type="7bit")
"""How messages are built and written out: CRLF line ends, 7-bit transfer
encodings, no ``>From`` mangling. Signing and sending use the same policy so
the bytes signed are the bytes sent."""

_FROM_LINE = re.compile(r"^From ", re.MULTILINE)


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message; ``str`` content is sent as UTF-8."""

    filename: str
    content: bytes | str
    content_type: str = "application/octet-stream"

    def __post_init__(self) -> None:
        maintype, _, subtype = self.content_type.partition("/")
        if not maintype or not subtype or maintype == "multipart":
            raise ValueError(f"not a content type for an attachment: {self.content_type!r}")
        if not self.filename or any(c in self.filename for c in "/\\\r\n"):
            raise ValueError(f"not a plain file name: {self.filename!r}")


def build_message(
    *,
    subject: str,
    sender: str,
    to: Sequence[str],
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    cc: Sequence[str] = (),
    reply_to: str | None = None,
    reference: str | None = None,
    tlp: str | None = None,
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
    date: dt.datetime | None = None,
) -> EmailMessage:
    """A ready-to-send notification e-mail.

    ``tlp`` accepts any spelling :meth:`TLP.from_label` knows and is written as
    its label (``TLP:AMBER+STRICT``); ``reference`` is the number a recipient
    quotes in a reply. Both go into their own headers; putting them in the
    subject and body is the template's job. ``headers`` adds more headers
    (values may not contain line breaks). Raises :class:`ValueError` for an
    unknown TLP label or a header value with a line break.
    """
    if not to and not cc:
        raise ValueError("a message needs at least one recipient")
    msg = EmailMessage(policy=WIRE_POLICY)
    msg["From"] = sender
    if to:
        msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = format_datetime(date or dt.datetime.now(dt.UTC))
    # An explicit domain: make_msgid's default asks the resolver for the FQDN,
    # which can hang for seconds on a machine without a network.
    msg["Message-ID"] = make_msgid(domain=_domain_of(sender))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    if reference:
        msg[REFERENCE_HEADER] = reference
    if tlp:
        msg[TLP_HEADER] = TLP.from_label(tlp).label
    for name, value in (headers or {}).items():
        msg[name] = value

    _set_text(msg, text, "plain")
    if html is not None:
        msg.add_alternative("")
        alternative = list(msg.iter_parts())[-1]
        _set_text(alternative, html, "html")
    for attachment in attachments:
        _attach(msg, attachment)
    for part in msg.walk():
        if part is not msg:  # the email package repeats it on every part it adds
            del part["MIME-Version"]
    if language:  # after the content: setting content drops every Content-* header
        msg["Content-Language"] = language
    return msg


def _domain_of(sender: str) -> str:
    addresses = getaddresses([sender])
    address = addresses[0][1] if addresses else ""
    return address.rpartition("@")[2] or "localhost"


def _set_text(part: MIMEPart, text: str, subtype: str) -> None:
    """Set a text body, 7-bit clean and robust to relays.

    ASCII text goes quoted-printable (readable as it is, but trailing spaces
    and long lines are protected); other text gets whichever of
    quoted-printable or base64 is shorter.
    """
    cte = "quoted-printable" if text.isascii() else None
    part.set_content(text, subtype=subtype, charset="utf-8", cte=cte)
    if part["Content-Transfer-Encoding"] == "quoted-printable":
        payload = part.get_payload()
        assert isinstance(payload, str)
        part.set_payload(_FROM_LINE.sub("=46rom ", payload))


def _attach(msg: EmailMessage, attachment: Attachment) -> None:
    maintype, _, subtype = attachment.content_type.partition("/")
    data = attachment.content
    if isinstance(data, str):
        data = data.encode()
    params = {"charset": "utf-8"} if maintype == "text" else {}
    # Always base64: the file arrives byte for byte, whatever its line ends.
    msg.add_attachment(
        data,
        maintype=maintype,
        subtype=subtype,
        filename=attachment.filename,
        cte="base64",
        params=params,
    )


def envelope_recipients(message: EmailMessage) -> list[str]:
    """The addresses of the To, Cc and Bcc headers, in order, without duplicates."""
    seen: dict[str, None] = {}
    for field in ("To", "Cc", "Bcc"):
        for header in message.get_all(field, []):
            for _name, address in getaddresses([str(header)]):
                if address:
                    seen.setdefault(address, None)
    return list(seen)


def address_of(value: str) -> str:
    """The bare address in ``Name <address>`` (or the value itself)."""
    addresses = getaddresses([value])
    return addresses[0][1] if addresses and addresses[0][1] else value.strip()


__all__ = [
    "REFERENCE_HEADER",
    "TLP_HEADER",
    "WIRE_POLICY",
    "Attachment",
    "address_of",
    "build_message",
    "envelope_recipients",
]

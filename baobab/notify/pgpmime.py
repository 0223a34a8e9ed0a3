"""PGP/MIME (RFC 3156) for notification e-mails, with the OpenPGP library the
project pins (pysequoia).

Sending: :func:`sign_message` (``multipart/signed``), :func:`encrypt_message`
(``multipart/encrypted``, optionally signed inside the encrypted data, RFC 3156
section 6.2) to one or several recipients. Receiving, for tests and e-mail in:
:func:`verify_message` and :func:`decrypt_message`.

The envelope headers (From, To, Subject, Date, Message-ID, X-Baobab-*) stay
on the outside; the content (every ``Content-*`` header and the body) is what
gets signed or encrypted, in its canonical form: CRLF line ends, 7-bit
transfer encodings.
"""

from __future__ import annotations

import base64
import copy
import email
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage, Message, MIMEPart

import pysequoia
from pysequoia.packet import HashAlgorithm

from baobab.notify.mime import WIRE_POLICY
from baobab.notify.pgpkeys import PgpError, SecretKey, check_recipient_key, error_reason

__all__ = [
    "DecryptedMessage",
    "PgpError",
    "decrypt_message",
    "encrypt_message",
    "sign_message",
    "verify_message",
]

_MICALG = [
    (HashAlgorithm.SHA256, "pgp-sha256"),
    (HashAlgorithm.SHA512, "pgp-sha512"),
    (HashAlgorithm.SHA384, "pgp-sha384"),
    (HashAlgorithm.SHA224, "pgp-sha224"),
    (HashAlgorithm.SHA3_256, "pgp-sha3-256"),
    (HashAlgorithm.SHA3_512, "pgp-sha3-512"),
    (HashAlgorithm.SHA1, "pgp-sha1"),
    (HashAlgorithm.RipeMD, "pgp-ripemd160"),
    (HashAlgorithm.MD5, "pgp-md5"),
]
_RISKY_LINE = re.compile(r"[ \t]$|^From |[^\x00-\x7f]", re.MULTILINE)
_LINE_END = re.compile(rb"\r?\n")
_SEVEN_BIT = ("7bit", "quoted-printable", "base64")


def sign_message(message: EmailMessage, key: SecretKey) -> EmailMessage:
    """The message as ``multipart/signed`` with a detached signature (RFC 3156 §5)."""
    outer, content = _split(message)
    data = _canonical(content)
    try:
        signature = pysequoia.sign(key.signer(), data, mode=pysequoia.SignatureMode.DETACHED)
        micalg = _micalg(pysequoia.Sig.from_bytes(signature))
    except PgpError:
        raise
    except Exception as exc:
        raise PgpError(f"signing failed: {error_reason(exc)}") from exc

    signed_part = email.message_from_bytes(data, policy=WIRE_POLICY)
    signature_part = MIMEPart(policy=WIRE_POLICY)
    signature_part.set_content(
        signature,
        maintype="application",
        subtype="pgp-signature",
        cte="7bit",
        disposition="attachment",
        filename="signature.asc",
        params={"name": "signature.asc"},
    )
    signature_part["Content-Description"] = "OpenPGP digital signature"
    outer["Content-Type"] = "multipart/signed"
    outer.set_param("protocol", "application/pgp-signature")
    outer.set_param("micalg", micalg)
    outer.set_payload([signed_part, signature_part])
    if outer.as_bytes().find(data) < 0:  # never send a signature that cannot verify
        raise PgpError("the signed content changed when written out")
    return outer


def encrypt_message(
    message: EmailMessage,
    recipients: Sequence[pysequoia.Cert],
    *,
    sign_with: SecretKey | None = None,
) -> EmailMessage:
    """The message as ``multipart/encrypted`` (RFC 3156 §4) to every recipient key.

    With ``sign_with``, the content is signed and encrypted in one OpenPGP
    message (RFC 3156 §6.2). Each recipient can decrypt with their own key;
    add our own key to ``recipients`` to keep a readable copy.
    """
    if not recipients:
        raise PgpError("no recipient key to encrypt to")
    for cert in recipients:  # pysequoia would encrypt to revoked and expired keys
        check_recipient_key(cert)
    outer, content = _split(message)
    data = _canonical(content)
    signer = sign_with.signer() if sign_with is not None else None
    try:
        armoured = pysequoia.encrypt(data, list(recipients), signer=signer)
    except Exception as exc:
        raise PgpError(f"encryption failed: {error_reason(exc)}") from exc

    version_part = MIMEPart(policy=WIRE_POLICY)
    version_part.set_content(
        b"Version: 1\r\n", maintype="application", subtype="pgp-encrypted", cte="7bit"
    )
    version_part["Content-Description"] = "PGP/MIME version identification"
    data_part = MIMEPart(policy=WIRE_POLICY)
    data_part.set_content(
        armoured,
        maintype="application",
        subtype="octet-stream",
        cte="7bit",
        disposition="inline",
        filename="encrypted.asc",
        params={"name": "encrypted.asc"},
    )
    data_part["Content-Description"] = "OpenPGP encrypted message"
    outer["Content-Type"] = "multipart/encrypted"
    outer.set_param("protocol", "application/pgp-encrypted")
    outer.set_payload([version_part, data_part])
    return outer


def _split(message: EmailMessage) -> tuple[EmailMessage, MIMEPart]:
    """(a new message with the envelope headers, a copy of the content entity)."""
    outer = EmailMessage(policy=WIRE_POLICY)
    content = MIMEPart(policy=WIRE_POLICY)
    for name, value in message.items():
        if name.lower().startswith("content-"):
            content[name] = value
        elif name.lower() != "mime-version":
            outer[name] = value
    outer["MIME-Version"] = "1.0"
    content.set_payload(copy.deepcopy(message.get_payload()))
    return outer, content


def _canonical(content: MIMEPart) -> bytes:
    """The entity as signed or encrypted: 7-bit, CRLF, and stable when re-written."""
    _make_seven_bit(content)
    data = content.as_bytes(policy=WIRE_POLICY)
    # Re-parsed, the entity is written out exactly as here (boundaries fixed).
    again = email.message_from_bytes(data, policy=WIRE_POLICY)
    if again.as_bytes(policy=WIRE_POLICY) != data:
        raise PgpError("the message cannot be written out in a stable form to sign")
    return data


def _make_seven_bit(entity: Message) -> None:
    """Re-encode as base64 every leaf a relay could alter: 8-bit data, trailing
    white space, a line starting ``From `` (RFC 3156 §3 and §5)."""
    for part in entity.walk():
        if part.is_multipart():
            continue
        cte = str(part.get("Content-Transfer-Encoding", "7bit")).lower()
        payload = part.get_payload()
        if cte in _SEVEN_BIT and isinstance(payload, str) and not _RISKY_LINE.search(payload):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        if part.get_content_maintype() == "text":  # canonical text: CRLF
            data = _LINE_END.sub(b"\r\n", data)
        del part["Content-Transfer-Encoding"]
        part.set_payload(base64.encodebytes(data).decode("ascii"))
        part["Content-Transfer-Encoding"] = "base64"


def _micalg(signature: pysequoia.Sig) -> str:
    for algorithm, name in _MICALG:
        if signature.hash_algorithm == algorithm:
            return name
    raise PgpError(f"unknown hash algorithm {signature.hash_algorithm!r}")


@dataclass(frozen=True)
class DecryptedMessage:
    """A decrypted PGP/MIME message and who signed it (verified fingerprints)."""

    message: EmailMessage
    signers: tuple[str, ...]


def verify_message(raw: bytes, certs: Sequence[pysequoia.Cert]) -> tuple[str, ...]:
    """The fingerprints of ``certs`` whose valid signature covers this
    ``multipart/signed`` message, read from its bytes as received.

    Raises :class:`PgpError` for a message that is not PGP/MIME-signed or
    carries no valid signature by any of ``certs``.
    """
    raw = _LINE_END.sub(b"\r\n", raw)
    parsed = email.message_from_bytes(raw, policy=WIRE_POLICY)
    if parsed.get_content_type() != "multipart/signed" or (
        parsed.get_param("protocol") != "application/pgp-signature"
    ):
        raise PgpError("not a PGP/MIME signed message")
    boundary = parsed.get_boundary()
    parts = parsed.get_payload()
    if not boundary or not isinstance(parts, list) or len(parts) != 2:
        raise PgpError("a signed message has two parts")
    signature = _decoded(parts[1])
    signed = _first_part(raw, boundary.encode())
    try:
        result = pysequoia.verify(
            bytes=signed,
            store=lambda _ids: list(certs),
            signature=pysequoia.Sig.from_bytes(signature),
        )
    except Exception as exc:
        raise PgpError(f"the signature does not verify: {error_reason(exc)}") from exc
    return tuple(sig.certificate.upper() for sig in result.valid_sigs)


def _decoded(part: object) -> bytes:
    payload = part.get_payload(decode=True) if isinstance(part, Message) else None
    if not isinstance(payload, bytes):
        raise PgpError("a PGP/MIME part is empty or malformed")
    return payload


def _first_part(raw: bytes, boundary: bytes) -> bytes:
    """The first body part's bytes exactly as received (RFC 2046 §5.1.1: the
    CRLF before a delimiter belongs to the delimiter)."""
    body_at = raw.find(b"\r\n\r\n")
    body = b"\r\n" + raw[body_at + 4 :]
    delimiter = b"\r\n--" + boundary
    start = body.find(delimiter)
    if start < 0:
        raise PgpError("the signed message's boundary is missing")
    start = body.find(b"\r\n", start + len(delimiter)) + 2
    end = body.find(delimiter, start)
    if start < 2 or end < 0:
        raise PgpError("the signed message is truncated")
    return body[start:end]


def decrypt_message(
    raw: bytes, key: SecretKey, *, signer_certs: Sequence[pysequoia.Cert] = ()
) -> DecryptedMessage:
    """Decrypt a ``multipart/encrypted`` message with a recipient's secret key.

    With ``signer_certs``, a valid signature by one of them is required and
    their fingerprints are returned; without, signatures are not checked.
    """
    parsed = email.message_from_bytes(raw, policy=WIRE_POLICY)
    parts = parsed.get_payload()
    if parsed.get_content_type() != "multipart/encrypted" or not (
        isinstance(parts, list) and len(parts) == 2
    ):
        raise PgpError("not a PGP/MIME encrypted message")
    data = _decoded(parts[1])
    store = (lambda _ids: list(signer_certs)) if signer_certs else None
    try:
        result = pysequoia.decrypt(data, key.decryptor(), store=store)
    except PgpError:
        raise
    except Exception as exc:
        reason = error_reason(exc)
        if signer_certs and "signature" in reason.lower():
            raise PgpError(f"not signed by the expected key: {reason}") from exc
        raise PgpError(f"cannot decrypt: {reason}") from exc
    content = email.message_from_bytes(result.bytes or b"", policy=WIRE_POLICY)
    assert isinstance(content, EmailMessage)
    signers = tuple(sig.certificate.upper() for sig in result.valid_sigs)
    return DecryptedMessage(content, signers)

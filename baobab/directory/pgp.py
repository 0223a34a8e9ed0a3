"""Reading contacts' OpenPGP public keys: fingerprint, expiry and user ids."""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass

import pysequoia
from django.utils.translation import gettext as _


class InvalidKeyError(ValueError):
    """The text is not a usable OpenPGP public key."""


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    expires_at: dt.datetime | None
    user_ids: list[str]
    is_revoked: bool

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        now = now or dt.datetime.now(dt.UTC)
        return self.expires_at is not None and self.expires_at <= now


def parse_public_key(text: str) -> KeyInfo:
    """Parse an ASCII-armoured public key; raise :class:`InvalidKeyError` with a clear reason."""
    text = text.strip()
    if not text:
        raise InvalidKeyError(_("The key is empty."))
    if "PRIVATE KEY BLOCK" in text:
        raise InvalidKeyError(_("This is a private key. Paste the public key only."))
    if "BEGIN PGP PUBLIC KEY BLOCK" not in text:
        raise InvalidKeyError(
            _(
                "This is not an ASCII-armoured OpenPGP public key "
                "(it should start with -----BEGIN PGP PUBLIC KEY BLOCK-----)."
            )
        )
    try:
        with warnings.catch_warnings():
            # The binding warns on every Cert.from_bytes that secret keys
            # should be read with Tsk; this reads public keys only.
            warnings.simplefilter("ignore", DeprecationWarning)
            cert = pysequoia.Cert.from_bytes(text.encode())
            has_secret = cert.has_secret_keys
    except Exception as exc:  # the binding raises RuntimeError with a backtrace
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidKeyError(
            _("The key could not be read: %(reason)s.") % {"reason": reason}
        ) from exc
    if has_secret:
        raise InvalidKeyError(_("This is a private key. Paste the public key only."))
    expires = cert.expiration
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=dt.UTC)
    return KeyInfo(
        fingerprint=cert.fingerprint.upper(),
        expires_at=expires,
        user_ids=[str(uid.value) if hasattr(uid, "value") else str(uid) for uid in cert.user_ids],
        is_revoked=bool(cert.is_revoked),
    )


def new_public_key(user_id: str) -> str:
    """A freshly generated, armoured public key for ``user_id`` (for demo data and
    tests); its secret part is discarded."""
    return str(pysequoia.Tsk.generate(user_id).extract_certificate())

"""OpenPGP keys for notifications: our secret signing key (from a file or
bytes) and correspondents' public keys, checked to be usable before a message
is encrypted to them.

pysequoia itself encrypts to revoked certificates and, when every encryption
subkey has expired, to an expired one; :func:`check_recipient_key` refuses
both, so a contact with a dead key is reported instead of receiving mail they
cannot read.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pysequoia
from pysequoia.packet import PacketPile, SignatureType, Tag

_KEY_TAGS = (Tag.PublicKey, Tag.PublicSubkey, Tag.SecretKey, Tag.SecretSubkey)


class PgpError(Exception):
    """A key or a message that cannot be used; the text says why."""


def error_reason(exc: BaseException) -> str:
    """The first line of a pysequoia error (the rest is a Rust backtrace)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@dataclass(frozen=True, eq=False)
class SecretKey:
    """An OpenPGP secret key (ours for signing, a recipient's for decrypting)."""

    tsk: pysequoia.Tsk
    password: str | None = field(default=None, repr=False)

    @property
    def fingerprint(self) -> str:
        """The primary key's fingerprint, upper-case hex."""
        return self.certificate.fingerprint.upper()

    @cached_property
    def certificate(self) -> pysequoia.Cert:
        """The public part, to hand to correspondents.

        Re-read from its bytes: ``Tsk.extract_certificate()`` returns an object
        that still holds the secret key (``.secrets``), though it prints as public.
        """
        return pysequoia.Cert.from_bytes(bytes(self.tsk.extract_certificate()))

    def signer(self) -> pysequoia.PySigner:
        """A signer; :class:`PgpError` if the key has no valid signing subkey."""
        try:
            return self.tsk.signer(self.password)
        except Exception as exc:  # the binding raises RuntimeError
            raise PgpError(f"the key cannot sign: {error_reason(exc)}") from exc

    def decryptor(self) -> pysequoia.PyDecryptor:
        """A decryptor; :class:`PgpError` if the key has no valid encryption subkey."""
        try:
            return self.tsk.decryptor(self.password)
        except Exception as exc:
            raise PgpError(f"the key cannot decrypt: {error_reason(exc)}") from exc


def load_secret_key(
    source: bytes | str | os.PathLike[str], password: str | None = None
) -> SecretKey:
    """A secret key from ``bytes`` (armoured or binary) or from a file path.

    Raises :class:`PgpError` if the file cannot be read, the data is not a
    key, or it holds only a public key.
    """
    if isinstance(source, bytes):
        data = source
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as exc:
            raise PgpError(f"cannot read the key file {source}: {exc.strerror}") from exc
    try:
        tsk = pysequoia.Tsk.from_bytes(data)
        armoured = str(tsk)
    except Exception as exc:
        raise PgpError(f"not an OpenPGP key: {error_reason(exc)}") from exc
    # Tsk.from_bytes also accepts a public key; it only fails when asked to sign.
    if not armoured.startswith("-----BEGIN PGP PRIVATE KEY BLOCK"):
        raise PgpError("this is a public key; signing and decrypting need the secret key")
    return SecretKey(tsk, password)


def load_recipient_key(data: bytes | str) -> pysequoia.Cert:
    """A correspondent's public key, checked to be usable for encryption now.

    Raises :class:`PgpError` for unreadable data and for a revoked or expired
    key, or one without a valid encryption subkey.
    """
    raw = data.encode() if isinstance(data, str) else data
    try:
        with warnings.catch_warnings():
            # The binding warns when the data holds secret keys too.
            warnings.simplefilter("ignore", DeprecationWarning)
            cert = pysequoia.Cert.from_bytes(raw)
    except Exception as exc:
        raise PgpError(f"not an OpenPGP key: {error_reason(exc)}") from exc
    check_recipient_key(cert)
    return cert


def check_recipient_key(cert: pysequoia.Cert, *, now: dt.datetime | None = None) -> None:
    """Raise :class:`PgpError` unless a message can be encrypted to ``cert`` now:
    not revoked, not expired, with an encryption subkey that is alive."""
    now = now or dt.datetime.now(dt.UTC)
    name = cert.fingerprint.upper()
    if cert.is_revoked:
        raise PgpError(f"the key {name} is revoked")
    expiry = cert.expiration
    if expiry is not None and _aware(expiry) <= now:
        raise PgpError(f"the key {name} expired on {_day(expiry)}")
    subkeys = _encryption_subkeys(cert)
    alive = [end for end in subkeys if end is None or end > now]
    if subkeys and not alive:
        last = max(end for end in subkeys if end is not None)
        raise PgpError(f"the encryption subkey of {name} expired on {_day(last)}")
    try:
        pysequoia.encrypt(b"", [cert])
    except Exception as exc:
        raise PgpError(f"the key {name} cannot encrypt: {error_reason(exc)}") from exc


def _encryption_subkeys(cert: pysequoia.Cert) -> list[dt.datetime | None]:
    """When each unrevoked encryption subkey expires (None: never), from the
    newest binding signature of each. A best-effort reading of the packets:
    the binding does not expose subkey validity itself."""
    bindings: dict[int, tuple[dt.datetime, dt.datetime | None, bool]] = {}
    revoked: set[int] = set()
    key_index, created, on_subkey = -1, None, False
    for packet in PacketPile.from_bytes(bytes(cert)):
        tag = packet.tag
        if any(tag == key_tag for key_tag in _KEY_TAGS):
            key_index += 1
            created = packet.key_created
            on_subkey = tag in (Tag.PublicSubkey, Tag.SecretSubkey)
            continue
        if not on_subkey or tag != Tag.Signature or created is None:
            continue
        kind = packet.signature_type
        if kind == SignatureType.SubkeyRevocation:
            revoked.add(key_index)
        elif kind == SignatureType.SubkeyBinding:
            flags = packet.key_flags
            made = packet.signature_created or created
            period = packet.key_validity_period
            end = _aware(created + period) if period else None
            encrypts = bool(flags and (flags.transport_encryption or flags.storage_encryption))
            if key_index not in bindings or made >= bindings[key_index][0]:
                bindings[key_index] = (made, end, encrypts)
    return [end for i, (_made, end, encrypts) in bindings.items() if encrypts and i not in revoked]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _day(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d")

"""PGP/MIME: signing, encryption, sign-then-encrypt, keys that cannot be used,
and a cross-check with GnuPG when it is installed."""

from __future__ import annotations

import email.policy
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage, Message, MIMEPart
from pathlib import Path

import pysequoia
import pytest

from baobab.notify.mime import REFERENCE_HEADER, WIRE_POLICY, Attachment, build_message
from baobab.notify.pgpkeys import PgpError, SecretKey, load_recipient_key, load_secret_key
from baobab.notify.pgpmime import decrypt_message, encrypt_message, sign_message, verify_message

CSV_TEXT = "source.ip,classification.type\r\n192.0.2.1,scanner\r\n192.0.2.7,phishing\r\n"


def new_key(user_id: str) -> SecretKey:
    return load_secret_key(bytes(pysequoia.Tsk.generate(user_id)))


@pytest.fixture
def ours() -> SecretKey:
    return new_key("Baobab CERT <noreply@cert.example>")


@pytest.fixture
def alice() -> SecretKey:
    return new_key("Alice <abuse@isp.example>")


@pytest.fixture
def bob() -> SecretKey:
    return new_key("Bob <cert@national.example>")


def digest() -> EmailMessage:
    return build_message(
        subject="[TLP:AMBER] Baobab digest BAO-7",
        sender="noreply@cert.example",
        to=["abuse@isp.example"],
        text="Hello,\nFrom Baobab: 2 events  \nÉvénements ci-joints.\n",
        html="<p>2 events</p>",
        attachments=[Attachment("events.csv", CSV_TEXT, "text/csv")],
        reference="BAO-7",
        tlp="amber",
        language="fr",
    )


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=WIRE_POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


def parts(message: EmailMessage) -> list[MIMEPart]:
    return list(message.iter_parts())


def decoded(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes)
    return data


def attachment_of(message: EmailMessage, name: str) -> bytes:
    for part in message.iter_attachments():
        if part.get_filename() == name:
            return decoded(part)
    raise AssertionError(f"no attachment {name}")


def test_signed_message_has_rfc3156_shape_and_verifies(ours: SecretKey) -> None:
    signed = sign_message(digest(), ours)
    raw = signed.as_bytes()
    parsed = parse(raw)
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed.get_param("protocol") == "application/pgp-signature"
    assert parsed.get_param("micalg") == "pgp-sha512"
    content, signature = parts(parsed)
    assert content.get_content_type() == "multipart/mixed"
    assert content["Content-Language"] == "fr"  # content headers are signed …
    assert content["Subject"] is None
    assert parsed["Subject"] == "[TLP:AMBER] Baobab digest BAO-7"  # … envelope ones stay out
    assert parsed[REFERENCE_HEADER] == "BAO-7"
    assert signature.get_content_type() == "application/pgp-signature"
    assert raw.isascii()

    assert verify_message(raw, [ours.certificate]) == (ours.fingerprint,)
    # A mailbox that stores LF line ends does not break it (RFC 3156 canonical form).
    assert verify_message(raw.replace(b"\r\n", b"\n"), [ours.certificate]) == (ours.fingerprint,)


def test_tampered_or_foreign_signatures_do_not_verify(ours: SecretKey, alice: SecretKey) -> None:
    raw = sign_message(digest(), ours).as_bytes()
    with pytest.raises(PgpError, match="does not verify"):
        verify_message(raw, [alice.certificate])
    tampered = raw.replace(b"2 events", b"3 events", 1)
    assert tampered != raw
    with pytest.raises(PgpError, match="does not verify"):
        verify_message(tampered, [ours.certificate])
    with pytest.raises(PgpError, match="not a PGP/MIME signed"):
        verify_message(digest().as_bytes(), [ours.certificate])


def test_signing_a_foreign_eight_bit_message(ours: SecretKey) -> None:
    """A message built elsewhere with 8-bit parts and trailing blanks is made
    7-bit before signing, so relays cannot break the signature."""
    foreign = EmailMessage(policy=email.policy.default)
    foreign["From"] = "noreply@cert.example"
    foreign["To"] = "abuse@isp.example"
    foreign["Subject"] = "8 bit"
    foreign.set_content("Événement  \nFrom here\n", cte="8bit")
    raw = sign_message(foreign, ours).as_bytes()
    assert raw.isascii()
    assert verify_message(raw, [ours.certificate]) == (ours.fingerprint,)
    assert foreign["Content-Transfer-Encoding"] == "8bit"  # the original is left alone


def test_encrypted_to_two_recipients_each_decrypts(
    alice: SecretKey, bob: SecretKey, ours: SecretKey
) -> None:
    raw = encrypt_message(digest(), [alice.certificate, bob.certificate]).as_bytes()
    parsed = parse(raw)
    assert parsed.get_content_type() == "multipart/encrypted"
    assert parsed.get_param("protocol") == "application/pgp-encrypted"
    version, data = parts(parsed)
    assert version.get_content_type() == "application/pgp-encrypted"
    assert decoded(version).strip() == b"Version: 1"
    assert data.get_content_type() == "application/octet-stream"
    assert b"192.0.2.1" not in raw
    assert b"BAO-7" in raw  # the reference stays readable

    for key in (alice, bob):
        opened = decrypt_message(raw, key)
        assert opened.signers == ()
        assert attachment_of(opened.message, "events.csv") == CSV_TEXT.encode()
        body = opened.message.get_body(("plain",))
        assert body is not None
        assert "From Baobab: 2 events  " in body.get_content()
    with pytest.raises(PgpError, match="cannot decrypt"):
        decrypt_message(raw, ours)


def test_signed_then_encrypted(alice: SecretKey, ours: SecretKey, bob: SecretKey) -> None:
    raw = encrypt_message(digest(), [alice.certificate], sign_with=ours).as_bytes()
    opened = decrypt_message(raw, alice, signer_certs=[ours.certificate])
    assert opened.signers == (ours.fingerprint,)
    assert attachment_of(opened.message, "events.csv") == CSV_TEXT.encode()
    with pytest.raises(PgpError, match="not signed by the expected key"):  # not by Bob
        decrypt_message(raw, alice, signer_certs=[bob.certificate])


def test_secret_key_loading(tmp_path: Path, ours: SecretKey) -> None:
    path = tmp_path / "signing.asc"
    path.write_text(str(ours.tsk))
    assert load_secret_key(path).fingerprint == ours.fingerprint
    assert load_secret_key(str(path)).fingerprint == ours.fingerprint
    with pytest.raises(PgpError, match="public key"):
        load_secret_key(str(ours.certificate).encode())
    with pytest.raises(PgpError, match="cannot read"):
        load_secret_key(tmp_path / "missing.asc")
    with pytest.raises(PgpError, match="not an OpenPGP key"):
        load_secret_key(b"hello")


def expired_key() -> SecretKey:
    key = load_secret_key(
        bytes(pysequoia.Tsk.generate("Old <old@isp.example>", validity_seconds=1))
    )
    expiry = key.certificate.expiration
    assert expiry is not None
    while expiry.timestamp() >= time.time():
        time.sleep(0.2)
    return key


def test_unusable_recipient_keys_are_reported(alice: SecretKey) -> None:
    assert load_recipient_key(str(alice.certificate)).fingerprint == alice.certificate.fingerprint
    old = expired_key()
    with pytest.raises(PgpError, match="expired on"):
        load_recipient_key(str(old.certificate))
    with pytest.raises(PgpError, match=old.fingerprint):
        encrypt_message(digest(), [alice.certificate, old.certificate])
    with pytest.raises(PgpError, match="cannot sign"):
        sign_message(digest(), old)
    revoked = pysequoia.Cert.from_bytes(
        bytes(alice.certificate) + bytes(alice.certificate.revoke(alice.tsk.certifier()))
    )
    with pytest.raises(PgpError, match="is revoked"):
        load_recipient_key(bytes(revoked))
    with pytest.raises(PgpError, match="not an OpenPGP key"):
        load_recipient_key("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbroken\n")
    with pytest.raises(PgpError, match="no recipient"):
        encrypt_message(digest(), [])


# --- GnuPG, an independent implementation, reads what we write -------------------


@pytest.fixture
def gnupg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A throw-away GnuPG home; its agent is stopped at the end."""
    if shutil.which("gpg") is None:
        pytest.skip("GnuPG is not installed")
    home = tmp_path_factory.mktemp("gpg")
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    yield env
    if shutil.which("gpgconf"):
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False, timeout=30)


def gpg(env: dict[str, str], *args: str, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["gpg", "--batch", "--status-fd", "2", *args],
        input=data,
        env=env,
        capture_output=True,
        check=False,
        timeout=60,
    )


def test_gnupg_verifies_our_signature(
    gnupg: dict[str, str], ours: SecretKey, tmp_path: Path
) -> None:
    assert gpg(gnupg, "--import", data=str(ours.certificate).encode()).returncode == 0
    raw = sign_message(digest(), ours).as_bytes()
    parsed = parse(raw)
    boundary = parsed.get_boundary()
    assert boundary is not None
    content = raw.split(b"--" + boundary.encode() + b"\r\n")[1].rsplit(b"\r\n", 1)[0]
    (tmp_path / "content").write_bytes(content)
    (tmp_path / "signature.asc").write_bytes(decoded(parts(parsed)[1]))
    result = gpg(gnupg, "--verify", str(tmp_path / "signature.asc"), str(tmp_path / "content"))
    assert result.returncode == 0, result.stderr.decode()
    assert f"VALIDSIG {ours.fingerprint}".encode() in result.stderr or b"GOODSIG" in result.stderr


def test_gnupg_decrypts_what_we_encrypt(gnupg: dict[str, str], ours: SecretKey) -> None:
    made = gpg(
        gnupg,
        *("--passphrase", "", "--quick-generate-key", "Contact <contact@isp.example>"),
        *("future-default", "default", "never"),
    )
    assert made.returncode == 0, made.stderr.decode()
    exported = gpg(gnupg, "--armor", "--export", "contact@isp.example").stdout
    contact = load_recipient_key(exported)
    assert gpg(gnupg, "--import", data=str(ours.certificate).encode()).returncode == 0

    raw = encrypt_message(digest(), [contact], sign_with=ours).as_bytes()
    armoured = decoded(parts(parse(raw))[1])
    result = gpg(
        gnupg, "--pinentry-mode", "loopback", "--passphrase", "", "--decrypt", data=armoured
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"GOODSIG" in result.stderr
    inner = parse(result.stdout)
    assert attachment_of(inner, "events.csv") == CSV_TEXT.encode()


def test_an_expired_encryption_subkey_is_refused(gnupg: dict[str, str]) -> None:
    """A primary key that never expires, whose only encryption subkey expired
    (GnuPG makes both in 2020, the subkey for one day)."""
    in_2020 = ("--faked-system-time", "20200101T000000", "--passphrase", "")
    uid = "Lapsed <lapsed@isp.example>"
    made = gpg(gnupg, *in_2020, "--quick-generate-key", uid, "ed25519", "sign", "never")
    assert made.returncode == 0, made.stderr.decode()
    fingerprint = pysequoia.Cert.from_bytes(
        gpg(gnupg, "--export", "lapsed@isp.example").stdout
    ).fingerprint.upper()
    added = gpg(gnupg, *in_2020, "--quick-add-key", fingerprint, "cv25519", "encr", "1d")
    assert added.returncode == 0, added.stderr.decode()
    exported = gpg(gnupg, "--armor", "--export", "lapsed@isp.example").stdout
    cert = pysequoia.Cert.from_bytes(exported)
    assert cert.expiration is None  # the certificate itself is valid …
    pysequoia.encrypt(b"x", [cert])  # … and pysequoia would encrypt to the dead subkey
    with pytest.raises(PgpError, match=r"encryption subkey .* expired on 2020-01-02"):
        load_recipient_key(exported)

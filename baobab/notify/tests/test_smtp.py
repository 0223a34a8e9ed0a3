"""SMTP delivery against real servers on loopback: recipients, attachments,
STARTTLS and implicit TLS, AUTH LOGIN and PLAIN, refusals, outages,
timeouts, recovery, and PGP/MIME messages read back as received."""

from __future__ import annotations

import csv
import io
import json
import time
from email import message_from_bytes
from email.message import EmailMessage
from typing import Any

import pysequoia
import pytest

from baobab.notify.mime import REFERENCE_HEADER, WIRE_POLICY, Attachment, build_message
from baobab.notify.outcome import Outcome
from baobab.notify.pgpkeys import SecretKey, load_secret_key
from baobab.notify.pgpmime import decrypt_message, encrypt_message, sign_message, verify_message
from baobab.notify.smtp import SendReport, SmtpConfig, SmtpSession, send_message
from baobab.notify.tests.transport_servers import (
    PASSWORD,
    USERNAME,
    LoopbackController,
    Recorder,
    ScriptedSmtp,
    TlsFiles,
    start_smtp,
    tls_files,
    unused_port,
)

__all__ = ["start_smtp", "tls_files"]  # fixtures, imported for pytest

FAST = {"local_hostname": "baobab.test", "timeout": 5.0}


def config(port: int, **fields: Any) -> SmtpConfig:
    return SmtpConfig(host="127.0.0.1", port=port, **{**FAST, **fields})


def csv_text(rows: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["source.ip", "classification.type"])
    writer.writerows([f"192.0.2.{i % 250 + 1}", "scanner"] for i in range(rows))
    return out.getvalue()


def digest(rows: int = 3, **overrides: Any) -> EmailMessage:
    events = [{"source.ip": f"192.0.2.{i + 1}"} for i in range(rows)]
    fields: dict[str, Any] = {
        "subject": "[TLP:GREEN] Baobab digest BAO-2026-0001",
        "sender": "Baobab <noreply@cert.example>",
        "to": ["abuse@isp.example", "noc@isp.example"],
        "cc": ["cert@national.example"],
        "text": f"{rows} events concern your network.\n",
        "attachments": [
            Attachment("events.csv", csv_text(rows), "text/csv"),
            Attachment("events.json", json.dumps(events), "application/json"),
        ],
        "reference": "BAO-2026-0001",
        "tlp": "green",
    }
    fields.update(overrides)
    return build_message(**fields)


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=WIRE_POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


def attachments(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        assert isinstance(data, bytes)
        found[str(part.get_filename())] = data
    return found


def outcomes(report: SendReport) -> dict[str, tuple[Outcome, int | None]]:
    return {r.recipient: (r.outcome, r.code) for r in report.results}


# --- delivery -------------------------------------------------------------------


def test_every_recipient_and_attachment_arrives(start_smtp: Any) -> None:
    recorder = Recorder()
    server = start_smtp(recorder)
    message = digest(rows=250, headers={"Bcc": "archive@cert.example"})
    report = send_message(message, config(server.port))

    assert report.all_sent
    assert [r.stage for r in report.results] == ["done"] * 4
    assert {r.code for r in report.results} == {250}
    [received] = recorder.messages
    assert received.mail_from == "noreply@cert.example"
    assert received.rcpt_tos == [
        "abuse@isp.example",
        "noc@isp.example",
        "cert@national.example",
        "archive@cert.example",
    ]
    assert b"archive@cert.example" not in received.content  # Bcc stays in the envelope
    parsed = parse(received.content)
    assert parsed[REFERENCE_HEADER] == "BAO-2026-0001"
    assert parsed["X-Baobab-TLP"] == "TLP:GREEN"
    files = attachments(parsed)
    rows = list(csv.reader(io.StringIO(files["events.csv"].decode())))
    assert len(rows) == 1 + 250
    assert len(json.loads(files["events.json"])) == 250


def test_explicit_envelope(start_smtp: Any) -> None:
    recorder = Recorder()
    server = start_smtp(recorder)
    report = send_message(
        digest(),
        config(server.port),
        recipients=["only@isp.example"],
        envelope_from="bounces@cert.example",
    )
    assert report.recipients(Outcome.SENT) == ["only@isp.example"]
    assert recorder.messages[0].mail_from == "bounces@cert.example"
    assert recorder.messages[0].rcpt_tos == ["only@isp.example"]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_starttls_and_authentication(start_smtp: Any, tls_files: TlsFiles, mechanism: str) -> None:
    recorder = Recorder()
    server = start_smtp(
        recorder,
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_required=True,
        authenticator=recorder.authenticate,
        auth_exclude_mechanism=["PLAIN" if mechanism == "LOGIN" else "LOGIN"],
    )
    settings = config(
        server.port,
        use_tls=True,
        ssl_context=tls_files.client_context(),
        username=USERNAME,
        password=PASSWORD,
    )
    assert send_message(digest(), settings).all_sent
    [received] = recorder.messages
    assert received.tls
    assert received.authenticated
    assert recorder.auth_mechanisms == [mechanism]


def test_implicit_tls(start_smtp: Any, tls_files: TlsFiles) -> None:
    recorder = Recorder()
    server = start_smtp(recorder, ssl_context=tls_files.server_context())
    report = send_message(
        digest(), config(server.port, use_ssl=True, ssl_context=tls_files.client_context())
    )
    assert report.all_sent
    assert recorder.messages[0].tls


def test_session_reuses_one_connection_and_survives_an_idle_timeout(start_smtp: Any) -> None:
    recorder = Recorder()
    server: LoopbackController = start_smtp(recorder, timeout=0.5)
    with SmtpSession(config(server.port)) as session:
        for _ in range(3):
            assert session.send(digest()).all_sent
        first = session._smtp
        time.sleep(1.0)  # the server closes the idle connection
        assert session.send(digest()).all_sent  # reconnects, sends once
        assert session._smtp is not first
    assert len(recorder.messages) == 4


# --- refusals -------------------------------------------------------------------


def test_refused_recipients_are_classified_one_by_one(start_smtp: Any) -> None:
    recorder = Recorder(
        rcpt_replies={
            "noc@isp.example": "550 5.1.1 No such user",
            "cert@national.example": "451 4.3.0 Try again later",
        }
    )
    server = start_smtp(recorder)
    report = send_message(digest(), config(server.port))
    assert outcomes(report) == {
        "abuse@isp.example": (Outcome.SENT, 250),
        "noc@isp.example": (Outcome.FAILED, 550),
        "cert@national.example": (Outcome.RETRY, 451),
    }
    assert "No such user" in report.results[1].detail
    assert recorder.messages[0].rcpt_tos == ["abuse@isp.example"]


def test_all_refused_sends_nothing_and_the_session_goes_on(start_smtp: Any) -> None:
    refuse = dict.fromkeys(("a@x.example", "b@x.example"), "550 5.7.1 Relaying denied")
    recorder = Recorder(rcpt_replies=refuse)
    server = start_smtp(recorder)
    with SmtpSession(config(server.port)) as session:
        report = session.send(digest(), ["a@x.example", "b@x.example"])
        assert report.recipients(Outcome.FAILED) == ["a@x.example", "b@x.example"]
        assert {r.stage for r in report.results} == {"rcpt"}
        assert recorder.messages == []
        assert session.send(digest(), ["c@x.example"]).all_sent


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [("554 5.7.1 Message rejected", Outcome.FAILED), ("452 4.3.1 Out of storage", Outcome.RETRY)],
)
def test_refused_data(start_smtp: Any, reply: str, outcome: Outcome) -> None:
    server = start_smtp(Recorder(data_reply=reply))
    report = send_message(digest(), config(server.port))
    assert {(r.outcome, r.stage, r.code) for r in report.results} == {
        (outcome, "data", int(reply[:3]))
    }


def test_wrong_password_is_retried_not_dropped(start_smtp: Any, tls_files: TlsFiles) -> None:
    recorder = Recorder()
    server = start_smtp(
        recorder,
        tls_context=tls_files.server_context(),
        auth_required=True,
        authenticator=recorder.authenticate,
    )
    settings = config(
        server.port,
        use_tls=True,
        ssl_context=tls_files.client_context(),
        username=USERNAME,
        password="wrong",
    )
    report = send_message(digest(), settings)
    assert {(r.outcome, r.stage, r.code) for r in report.results} == {(Outcome.RETRY, "auth", 535)}


def test_untrusted_certificate_or_missing_starttls(start_smtp: Any, tls_files: TlsFiles) -> None:
    tls_server = start_smtp(Recorder(), tls_context=tls_files.server_context())
    report = send_message(digest(), config(tls_server.port, use_tls=True))  # system CAs
    assert {(r.outcome, r.stage) for r in report.results} == {(Outcome.RETRY, "tls")}
    assert "not trusted" in report.results[0].detail

    plain_server = start_smtp(Recorder())
    report = send_message(digest(), config(plain_server.port, use_tls=True))
    assert {(r.outcome, r.stage) for r in report.results} == {(Outcome.RETRY, "tls")}
    assert "STARTTLS" in report.results[0].detail


# --- outages ----------------------------------------------------------------------


def test_server_down_then_back(start_smtp: Any) -> None:
    port = unused_port()
    recorder = Recorder()
    with SmtpSession(config(port)) as session:
        report = session.send(digest())
        assert {(r.outcome, r.stage) for r in report.results} == {(Outcome.RETRY, "connect")}
        assert "refused" in report.results[0].detail.lower()
        assert recorder.messages == []

        start_smtp(recorder, port=port)
        assert session.send(digest()).all_sent  # the same session, now connected
    assert len(recorder.messages) == 1


@pytest.mark.parametrize(
    ("behaviour", "stage", "detail"),
    [
        ("hang-up", "connect", "closed"),
        ("silent", "connect", "timed out"),
        ("drop-at-data", "data", ""),
    ],
)
def test_servers_that_vanish_or_stall(behaviour: str, stage: str, detail: str) -> None:
    server = ScriptedSmtp(behaviour)
    try:
        started = time.monotonic()
        report = send_message(digest(), config(server.port, timeout=0.5))
        elapsed = time.monotonic() - started
    finally:
        server.close()
    assert {(r.outcome, r.stage) for r in report.results} == {(Outcome.RETRY, stage)}
    assert detail in report.results[0].detail.lower()
    assert elapsed < 3


# --- configuration ----------------------------------------------------------------


def test_from_settings(settings: Any, start_smtp: Any) -> None:
    recorder = Recorder()
    server = start_smtp(recorder)
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = str(server.port)
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 7
    settings.DEFAULT_FROM_EMAIL = "Baobab <noreply@cert.example>"
    loaded = SmtpConfig.from_settings()
    assert (loaded.port, loaded.timeout, loaded.use_tls) == (server.port, 7.0, False)
    assert "hunter2" not in repr(SmtpConfig(password="hunter2"))

    message = digest()
    del message["From"]
    message["From"] = "Someone <someone@cert.example>"
    assert send_message(message).all_sent  # configuration from the settings
    assert recorder.messages[0].mail_from == "someone@cert.example"
    with pytest.raises(ValueError, match="mutually exclusive"):
        SmtpConfig(use_tls=True, use_ssl=True)


# --- PGP/MIME, read back from what the server received ------------------------------


def key(user_id: str) -> SecretKey:
    return load_secret_key(bytes(pysequoia.Tsk.generate(user_id)))


def test_encrypted_digest_is_decrypted_by_each_recipient(start_smtp: Any) -> None:
    ours, abuse, noc = key("Baobab <noreply@cert.example>"), key("A <a@x>"), key("N <n@x>")
    recorder = Recorder()
    server = start_smtp(recorder)
    message = encrypt_message(
        digest(rows=40, cc=[]), [abuse.certificate, noc.certificate], sign_with=ours
    )
    assert send_message(message, config(server.port)).all_sent

    [received] = recorder.messages
    assert b"192.0.2.1" not in received.content
    assert parse(received.content)["Subject"] == "[TLP:GREEN] Baobab digest BAO-2026-0001"
    for recipient in (abuse, noc):
        opened = decrypt_message(received.content, recipient, signer_certs=[ours.certificate])
        assert opened.signers == (ours.fingerprint,)
        files = attachments(opened.message)
        assert len(list(csv.reader(io.StringIO(files["events.csv"].decode())))) == 41
        assert len(json.loads(files["events.json"])) == 40
        body = opened.message.get_body(("plain",))
        assert body is not None
        assert "40 events" in body.get_content()


def test_signed_digest_verifies_as_received(start_smtp: Any) -> None:
    ours = key("Baobab <noreply@cert.example>")
    recorder = Recorder()
    server = start_smtp(recorder)
    assert send_message(sign_message(digest(), ours), config(server.port)).all_sent
    raw = recorder.messages[0].content
    assert verify_message(raw, [ours.certificate]) == (ours.fingerprint,)

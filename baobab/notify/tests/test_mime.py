"""Building notification e-mails: structure, headers, attachments, 7-bit safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from email import message_from_bytes
from email.message import EmailMessage

import pytest

from baobab.notify.mime import (
    REFERENCE_HEADER,
    TLP_HEADER,
    WIRE_POLICY,
    Attachment,
    address_of,
    build_message,
    envelope_recipients,
)

CSV_TEXT = "source.ip,classification.type\r\n192.0.2.1,scanner\r\n192.0.2.2,phishing\r\n"


def digest(**overrides: object) -> EmailMessage:
    fields: dict[str, object] = {
        "subject": "[TLP:AMBER] Baobab digest BAO-2026-0042\n",
        "sender": "Baobab CERT <noreply@cert.example>",
        "to": ["abuse@isp.example", "Ops Desk <ops@isp.example>"],
        "text": "Hello,\n2 events concern your network.\n",
        "reference": "BAO-2026-0042",
        "tlp": "amber",
    }
    fields.update(overrides)
    return build_message(**fields)  # type: ignore[arg-type]


def reparse(message: EmailMessage) -> EmailMessage:
    parsed = message_from_bytes(message.as_bytes(), policy=WIRE_POLICY)
    assert isinstance(parsed, EmailMessage)
    return parsed


def lf(text: str) -> str:
    """Text as written (the parser keeps the wire's CRLF in decoded text)."""
    return text.replace("\r\n", "\n")


def test_headers() -> None:
    when = dt.datetime(2026, 3, 1, 6, 0, tzinfo=dt.UTC)
    msg = reparse(
        digest(cc=["cert@national.example"], reply_to="desk@cert.example", language="fr", date=when)
    )
    assert msg["From"] == "Baobab CERT <noreply@cert.example>"
    assert msg["To"] == "abuse@isp.example, Ops Desk <ops@isp.example>"
    assert msg["Cc"] == "cert@national.example"
    assert msg["Reply-To"] == "desk@cert.example"
    assert msg["Subject"] == "[TLP:AMBER] Baobab digest BAO-2026-0042"  # no trailing newline
    assert msg[REFERENCE_HEADER] == "BAO-2026-0042"
    assert msg[TLP_HEADER] == "TLP:AMBER"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Content-Language"] == "fr"
    assert msg["Message-ID"].endswith("@cert.example>")
    assert msg["Date"] == "Sun, 01 Mar 2026 06:00:00 +0000"


@pytest.mark.parametrize(
    ("given", "label"),
    [("amber+strict", "TLP:AMBER+STRICT"), ("TLP:RED", "TLP:RED"), ("white", "TLP:CLEAR")],
)
def test_tlp_label_is_normalised(given: str, label: str) -> None:
    assert digest(tlp=given)[TLP_HEADER] == label


def test_unknown_tlp_and_header_injection_are_refused() -> None:
    with pytest.raises(ValueError, match="TLP"):
        digest(tlp="purple")
    with pytest.raises(ValueError, match=r"linefeed|carriage"):
        digest(headers={"X-Campaign": "x\r\nBcc: victim@example.org"})
    with pytest.raises(ValueError, match="recipient"):
        digest(to=[])
    with pytest.raises(ValueError, match="content type"):
        Attachment("a.csv", "x", "csv")
    with pytest.raises(ValueError, match="file name"):
        Attachment("../a.csv", "x", "text/csv")


def test_text_html_and_attachments_arrive_byte_for_byte() -> None:
    events = [{"source.ip": "192.0.2.1"}, {"source.ip": "192.0.2.2"}, {"source.ip": "192.0.2.3"}]
    msg = reparse(
        digest(
            html="<p>2 events</p>",
            attachments=[
                Attachment("événements.csv", CSV_TEXT, "text/csv"),
                Attachment("events.json", json.dumps(events).encode(), "application/json"),
            ],
        )
    )
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert body is not None
    assert html is not None
    assert lf(body.get_content()) == "Hello,\n2 events concern your network.\n"
    assert lf(html.get_content()) == "<p>2 events</p>\n"

    files = {part.get_filename(): part for part in msg.iter_attachments()}
    assert set(files) == {"événements.csv", "events.json"}
    csv_part, json_part = files["événements.csv"], files["events.json"]
    assert csv_part.get_content_type() == "text/csv"
    assert csv_part.get_payload(decode=True) == CSV_TEXT.encode()  # CRLF rows kept
    rows = list(csv.reader(io.StringIO(CSV_TEXT)))
    assert len(rows) == 3
    assert json_part.get_content_type() == "application/json"
    assert json.loads(json_part.get_content()) == events


def test_every_line_is_seven_bit_and_relay_proof() -> None:
    text = "مرحبا\nFrom the team  \n" + "x" * 200 + "\n"
    raw = digest(text=text, subject="تنبيه أمني").as_bytes()
    assert raw.isascii()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\nFrom " not in raw  # escaped, or a mailbox would mangle it
    assert b" \r\n" not in raw.split(b"\r\n\r\n", 1)[1]  # no trailing white space
    msg = reparse(digest(text="Plain ASCII\nFrom here  \n"))
    body = msg.get_body(("plain",))
    assert body is not None
    assert lf(body.get_content()) == "Plain ASCII\nFrom here  \n"
    assert reparse(digest(subject="تنبيه أمني"))["Subject"] == "تنبيه أمني"


def test_envelope_recipients() -> None:
    msg = digest(cc=["a@x.example", "abuse@isp.example"], headers={"Bcc": "hidden@x.example"})
    assert envelope_recipients(msg) == [
        "abuse@isp.example",
        "ops@isp.example",
        "a@x.example",
        "hidden@x.example",
    ]
    assert address_of("Baobab <noreply@cert.example>") == "noreply@cert.example"

"""The IMAP collector against a real IMAP server on loopback (imaplib talks
to it over a socket): attachments become runs named after them, messages
are read once, filters, flags and moves, TLS."""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import collect
from baobab.pipeline.models import Feed
from baobab.pipeline.tests.collectors.conftest import (
    FEODO_CSV,
    SHADOWSERVER_SCAN_CSV,
    FakeRunner,
    TlsFiles,
    imap_options,
)
from baobab.pipeline.tests.collectors.imapserver import ImapServer

MakeFeed = Callable[..., Feed]
TELNET = "2024-05-01-scan_telnet-country-geo.csv"
SSH = "2024-05-01-scan_ssh-country-geo.csv"


def report_mail(
    *attachments: tuple[str, bytes],
    sender: str = "autoreports@shadowserver.org",
    subject: str = "[Shadowserver] Daily reports",
    signed: bool = False,
) -> bytes:
    message = EmailMessage()
    message["From"] = f"Shadowserver <{sender}>"
    message["To"] = "reports@cert.example"
    message["Subject"] = subject
    message.set_content("Your daily reports are attached.")
    for name, payload in attachments:
        maintype, subtype = (
            ("text", "csv") if name.endswith(".csv") else ("application", "octet-stream")
        )
        message.add_attachment(payload, maintype=maintype, subtype=subtype, filename=name)
    if signed:
        message.add_attachment(
            b"-----BEGIN PGP SIGNATURE-----\n...", maintype="application",
            subtype="pgp-signature", filename="signature.asc",
        )  # fmt: skip
    return message.as_bytes()


def imap_feed(make_feed: MakeFeed, server: ImapServer, **options: Any) -> Feed:
    return make_feed(Collector.IMAP, imap_options(server, **options), parser="shadowserver")


def test_each_attachment_becomes_a_run_named_after_it(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    inbox = imap_server.mailboxes["INBOX"]
    inbox.add(report_mail((TELNET, b"telnet rows"), (SSH, b"ssh rows"), signed=True))
    feed = imap_feed(make_feed, imap_server)

    runs = collect(feed)

    assert [run.status for run in runs] == [RunStatus.DONE, RunStatus.DONE]
    assert [(call.file_name, call.content) for call in fake_runner.calls] == [
        (TELNET, b"telnet rows"),
        (SSH, b"ssh rows"),
    ]
    source = fake_runner.calls[0].source
    assert source.startswith(
        f"imap://reports%40cert.example@127.0.0.1:{imap_server.port}/INBOX;UIDVALIDITY=1000/;UID=1"
    )
    assert "\\Seen" in inbox.messages[0].flags  # mark_seen is the default
    feed.refresh_from_db()
    assert feed.collector_state["imap"]["last_uid"] == 1
    assert "s3cret" not in str(feed.collector_state)


def test_zipped_and_gzipped_attachments_are_unpacked(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(TELNET, b"telnet rows")
        out.writestr(SSH, b"ssh rows")
    imap_server.mailboxes["INBOX"].add(
        report_mail(
            ("2024-05-01-reports.zip", archive.getvalue()),
            ("2024-05-01-scan_rdp-country-geo.csv.gz", gzip.compress(b"rdp rows")),
        )
    )
    collect(imap_feed(make_feed, imap_server))
    assert [(call.file_name, call.content) for call in fake_runner.calls] == [
        (TELNET, b"telnet rows"),
        (SSH, b"ssh rows"),
        ("2024-05-01-scan_rdp-country-geo.csv", b"rdp rows"),
    ]


def test_a_message_is_read_once_even_if_it_stays(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    inbox = imap_server.mailboxes["INBOX"]
    inbox.add(report_mail((TELNET, b"day 1")))
    feed = imap_feed(make_feed, imap_server, mark_seen=False)

    assert len(collect(feed)) == 1
    assert collect(feed) == []  # "UID 2:*" also answers UID 1: not read again
    inbox.add(report_mail((TELNET, b"day 2")))
    assert len(collect(feed)) == 1
    assert [call.content for call in fake_runner.calls] == [b"day 1", b"day 2"]
    # Neither flagged nor moved: the folder was only examined (read-only).
    assert all(not message.flags for message in inbox.messages)
    assert any(command.startswith("EXAMINE") for command in imap_server.commands)
    assert not any(command.startswith("SELECT") for command in imap_server.commands)


def test_a_new_uidvalidity_means_the_folder_is_read_again(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    inbox = imap_server.mailboxes["INBOX"]
    inbox.add(report_mail((TELNET, b"rows")))
    feed = imap_feed(make_feed, imap_server)
    collect(feed)
    inbox.uidvalidity = 1001
    assert len(collect(feed)) == 1
    assert len(fake_runner.calls) == 2


def test_sender_subject_and_attachment_filters(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    inbox = imap_server.mailboxes["INBOX"]
    inbox.add(report_mail((TELNET, b"wanted")))
    inbox.add(report_mail((SSH, b"spoofed name"), sender="shadowserver@evil.example"))
    inbox.add(report_mail((SSH, b"newsletter"), subject="Our newsletter"))
    inbox.add(report_mail(("notes.txt", b"not a report"), (SSH, b"also wanted")))
    feed = imap_feed(
        make_feed,
        imap_server,
        sender="@SHADOWSERVER.org",
        subject="daily REPORTS",
        attachment_pattern="*.csv",
    )
    collect(feed)
    assert [call.content for call in fake_runner.calls] == [b"wanted", b"also wanted"]
    # Only the messages read are flagged; the others are left as they were.
    assert ["\\Seen" in message.flags for message in inbox.messages] == [True, False, False, True]
    feed.refresh_from_db()
    assert feed.collector_state["imap"]["last_uid"] == 4


def test_messages_read_are_moved(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    inbox = imap_server.mailboxes["INBOX"]
    imap_server.mailbox("Processed")
    inbox.add(report_mail((TELNET, b"rows")))
    inbox.add(report_mail((SSH, b"other"), sender="someone@example.org"))
    collect(imap_feed(make_feed, imap_server, move_to="Processed", sender="shadowserver.org"))
    assert len(inbox.messages) == 1  # the other sender's message stays
    assert len(imap_server.mailboxes["Processed"].messages) == 1
    assert any(command.startswith("UID MOVE") for command in imap_server.commands)


def test_without_move_a_copy_and_expunge_does(
    make_feed: MakeFeed, fake_runner: FakeRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_TEST_IMAP_PASSWORD", "pw")
    with ImapServer(users={"reports@cert.example": "pw"}, capabilities=()) as server:
        server.mailbox("Done")
        server.mailboxes["INBOX"].add(report_mail((TELNET, b"rows")))
        server.mailboxes["INBOX"].add(report_mail((SSH, b"rows")))
        collect(imap_feed(make_feed, server, move_to="Done"))
        assert server.mailboxes["INBOX"].messages == []
        assert [m.uid for m in server.mailboxes["Done"].messages] == [1, 2]
        assert "EXPUNGE " in server.commands
        assert not any(command.startswith("UID MOVE") for command in server.commands)


def test_at_most_max_messages_per_collection(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    for day in range(5):
        imap_server.mailboxes["INBOX"].add(report_mail((TELNET, f"day {day}".encode())))
    feed = imap_feed(make_feed, imap_server, max_messages=2)
    assert len(collect(feed)) == 2
    assert len(collect(feed)) == 2
    assert len(collect(feed)) == 1
    assert [call.content for call in fake_runner.calls] == [f"day {d}".encode() for d in range(5)]


def test_a_message_too_large_is_recorded_and_skipped(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner, settings: Any
) -> None:
    settings.COLLECTOR_MAX_BYTES = 5000
    imap_server.mailboxes["INBOX"].add(report_mail((TELNET, b"x" * 10000)))
    imap_server.mailboxes["INBOX"].add(report_mail((SSH, b"small")))
    big, small = collect(imap_feed(make_feed, imap_server))
    assert big.status == RunStatus.FAILED
    assert "larger than the limit" in big.errors[0]
    assert big.source.endswith(";UID=1")
    assert small.status == RunStatus.DONE
    assert fake_runner.names == [SSH]


def test_a_bad_attachment_fails_alone(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    imap_server.mailboxes["INBOX"].add(
        report_mail(("broken.csv.gz", b"\x1f\x8bnot gzip"), (TELNET, b"rows"))
    )
    failed, good = collect(imap_feed(make_feed, imap_server))
    assert failed.status == RunStatus.FAILED
    assert failed.source.endswith("(broken.csv.gz)")
    assert good.status == RunStatus.DONE


def test_a_refused_login_gives_a_failed_run(
    make_feed: MakeFeed,
    imap_server: ImapServer,
    fake_runner: FakeRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_TEST_IMAP_PASSWORD", "wrong")
    imap_server.mailboxes["INBOX"].add(report_mail((TELNET, b"rows")))
    feed = imap_feed(make_feed, imap_server)
    (run,) = collect(feed)
    assert run.status == RunStatus.FAILED
    assert "refused the login" in run.errors[0]
    assert "wrong" not in run.errors[0]
    feed.refresh_from_db()
    assert "imap" not in feed.collector_state


def test_a_missing_folder_gives_a_failed_run(
    make_feed: MakeFeed, imap_server: ImapServer, fake_runner: FakeRunner
) -> None:
    (run,) = collect(imap_feed(make_feed, imap_server, folder="Reports/Shadow server"))
    assert "refused SELECT" in run.errors[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"host": "mail.example.org"}, "only talks to a server on this machine"),
        ({"password_env": "SECRET_KEY"}, "starts with BAOBAB_FEED_"),
        ({"security": "tls"}, "security must be one of ssl, starttls, plain"),
        ({"mark_seen": "yes"}, "mark_seen must be true or false"),
        ({"folder": "Boîte"}, "plain ASCII"),
        ({"sender_filter": "x"}, "Unknown collector option(s): sender_filter"),
    ],
)
def test_wrong_options_give_a_failed_run(
    make_feed: MakeFeed,
    imap_server: ImapServer,
    fake_runner: FakeRunner,
    options: dict[str, Any],
    message: str,
) -> None:
    (run,) = collect(imap_feed(make_feed, imap_server, **options))
    assert message in run.errors[0]
    assert imap_server.commands == []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_and_starttls(
    make_feed: MakeFeed,
    fake_runner: FakeRunner,
    tls_files: TlsFiles,
    monkeypatch: pytest.MonkeyPatch,
    security: str,
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_TEST_IMAP_PASSWORD", "pw")
    server = ImapServer(
        users={"reports@cert.example": "pw"},
        tls=tls_files.server_context(),
        implicit_tls=security == "ssl",
    )
    with server:
        server.mailboxes["INBOX"].add(report_mail((TELNET, b"over tls")))
        options = imap_options(server, security=security, host="localhost")
        (untrusted,) = collect(make_feed(Collector.IMAP, options))
        (run,) = collect(make_feed(Collector.IMAP, {**options, "ca_file": str(tls_files.cert)}))
    assert "CERTIFICATE_VERIFY_FAILED" in untrusted.errors[0]
    assert run.status == RunStatus.DONE
    assert fake_runner.calls[0].content == b"over tls"
    if security == "starttls":
        assert server.commands.index("STARTTLS ") < server.commands.index("LOGIN")


@pytest.mark.django_db(transaction=True)
def test_end_to_end_shadowserver_reports_through_the_real_runner(
    make_feed: MakeFeed, imap_server: ImapServer
) -> None:
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr(SSH, SHADOWSERVER_SCAN_CSV.replace(b"telnet", b"ssh"))
    imap_server.mailboxes["INBOX"].add(
        report_mail(
            (TELNET, SHADOWSERVER_SCAN_CSV),
            ("2024-05-01-reports.zip", archive.getvalue()),
            signed=True,
        )
    )
    feed = make_feed(Collector.IMAP, imap_options(imap_server), parser="shadowserver")

    telnet, ssh = collect(feed)

    for run in (telnet, ssh):
        run.refresh_from_db()
        assert run.status == RunStatus.DONE, run.errors
        assert (run.parsed, run.stored, run.quarantined) == (2, 2, 0)
    # The report type came from each attachment's name.
    assert (telnet.report, ssh.report) == ("scan_telnet", "scan_ssh")
    assert Path(telnet.input_path).read_bytes() == SHADOWSERVER_SCAN_CSV
    assert feed.events.count() == 4
    assert collect(feed) == []


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_real_runner(make_feed: MakeFeed, imap_server: ImapServer) -> None:
    imap_server.mailboxes["INBOX"].add(
        report_mail(("ipblocklist.csv.gz", gzip.compress(FEODO_CSV)))
    )
    feed = make_feed(Collector.IMAP, imap_options(imap_server), parser="feodotracker")

    (run,) = collect(feed)

    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.errors
    assert (run.parsed, run.stored) == (3, 3)
    assert Path(run.input_path).read_bytes() == FEODO_CSV

"""blocklist.de parser: one address a line, the list from the file name."""

from __future__ import annotations

import pytest

from baobab.pipeline.parsers.base import UnknownReportError
from baobab.pipeline.parsers.blocklistde import list_from_file_name
from baobab.pipeline.tests.parsers._harness import check_frame, event_at, run, sample


@pytest.mark.parametrize(
    ("file_name", "report", "taxonomy", "type_", "application"),
    [
        ("ssh.txt", "", "intrusion-attempts", "ids-alert", "ssh"),
        ("2024-05-01-mail.txt", "", "intrusion-attempts", "ids-alert", "smtp"),
        ("lists/bruteforcelogin.txt", "", "intrusion-attempts", "brute-force", None),
        ("bots.txt", "", "abusive-content", "spam", None),
        ("ircbot.txt", "", "malicious-code", "infected-system", "irc"),
        ("download.txt", "", "other", "blacklist", None),
        ("whatever.txt", "SIP", "intrusion-attempts", "ids-alert", "sip"),
    ],
)
def test_list_gives_classification(
    file_name: str, report: str, taxonomy: str, type_: str, application: str | None
) -> None:
    frame, rejected, setup = run(
        "blocklist-de", sample("blocklistde/ssh.txt"), file_name=file_name, report=report
    )
    check_frame(frame)
    assert not rejected
    assert frame.height == 4
    event = event_at(frame, 1)
    assert event["source.ip"] == "192.0.2.1"
    assert event["classification.taxonomy"] == taxonomy
    assert event["classification.type"] == type_
    assert event.get("protocol.application") == application
    assert event["feed.provider"] == "blocklist.de"
    assert setup.report


def test_spaces_windows_line_ends_and_blank_lines() -> None:
    frame, _rejected, _setup = run(
        "blocklist-de", sample("blocklistde/ssh.txt"), file_name="ssh.txt"
    )
    assert event_at(frame, 2)["source.ip"] == "198.51.100.77"
    assert event_at(frame, 2)["raw"] == "198.51.100.77"
    assert event_at(frame, 4)["source.ip"] == "2001:db8::dead:beef"
    assert event_at(frame, 5)["source.ip"] == "203.0.113.5"
    assert 3 not in frame["baobab.line"].to_list()


def test_unknown_list_given_explicitly() -> None:
    with pytest.raises(UnknownReportError, match="ssh"):
        run("blocklist-de", sample("blocklistde/all.txt"), report="nope")


def test_file_names() -> None:
    assert list_from_file_name("/tmp/all.txt") == "all"
    assert list_from_file_name("blocklist-de_strongips.txt.gz") == "strongips"
    assert list_from_file_name("feed.txt") is None

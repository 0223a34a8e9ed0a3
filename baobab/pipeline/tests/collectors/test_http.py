"""The HTTP(S) collector against a real server on loopback: conditional
requests, gzip, timeouts, the size limit, redirections and secrets."""

from __future__ import annotations

import gzip
import socket
import time
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import collect
from baobab.pipeline.models import Feed
from baobab.pipeline.tests.collectors.conftest import FEODO_CSV, FakeRunner, TlsFiles
from baobab.pipeline.tests.collectors.httpserver import FeedServer, Resource

MakeFeed = Callable[..., Feed]
LAST_MODIFIED = 1714557600.0  # 2024-05-01 10:00 UTC


def http_feed(make_feed: MakeFeed, server: FeedServer, path: str, **options: Any) -> Feed:
    return make_feed(Collector.HTTP, {"url": server.url(path), "timeout": 5, **options})


def spool_is_empty(settings: Any) -> bool:
    spool = Path(settings.DATA_DIR) / "spool"
    return not spool.exists() or not any(spool.iterdir())


def test_a_fetch_hands_the_body_to_the_runner(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner, settings: Any
) -> None:
    http_server.resources["/feeds/ipblocklist.csv"] = Resource(body=b"a,b\n1,2\n", etag='"v1"')
    feed = http_feed(make_feed, http_server, "/feeds/ipblocklist.csv")

    (run,) = collect(feed)

    assert run.status == RunStatus.DONE
    (call,) = fake_runner.calls
    assert (call.content, call.file_name, call.move) == (b"a,b\n1,2\n", "ipblocklist.csv", True)
    assert call.source == http_server.url("/feeds/ipblocklist.csv")
    assert http_server.requests[0].headers["User-Agent"].startswith("Baobab")
    feed.refresh_from_db()
    assert feed.collector_state["http"]["etag"] == '"v1"'
    assert "lease" not in feed.collector_state
    assert spool_is_empty(settings)


def test_an_etag_is_sent_back_and_a_304_starts_no_run(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    resource = Resource(body=b"v1", etag='"abc"')
    http_server.resources["/list"] = resource
    feed = http_feed(make_feed, http_server, "/list")

    assert len(collect(feed)) == 1
    assert collect(feed) == []
    assert http_server.requests[1].headers["If-None-Match"] == '"abc"'
    assert http_server.requests[1].headers.get("If-Modified-Since") is None

    resource.body, resource.etag = b"v2", '"def"'
    assert len(collect(feed)) == 1
    assert [call.content for call in fake_runner.calls] == [b"v1", b"v2"]


def test_last_modified_is_sent_back_as_if_modified_since(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    resource = Resource(body=b"v1", last_modified=LAST_MODIFIED)
    http_server.resources["/list"] = resource
    feed = http_feed(make_feed, http_server, "/list")
    collect(feed)
    assert collect(feed) == []
    assert http_server.requests[1].headers["If-Modified-Since"] == "Wed, 01 May 2024 10:00:00 GMT"
    resource.body, resource.last_modified = b"v2", LAST_MODIFIED + 3600
    assert len(collect(feed)) == 1


def test_the_same_body_again_starts_no_run_unless_forced(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    http_server.resources["/plain"] = Resource(body=b"no validators")
    feed = http_feed(make_feed, http_server, "/plain")
    assert len(collect(feed)) == 1
    assert collect(feed) == []
    assert len(collect(feed, force=True)) == 1


def test_a_failed_run_is_fetched_again(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    http_server.resources["/list"] = Resource(body=b"v1", etag='"abc"')
    feed = http_feed(make_feed, http_server, "/list")
    fake_runner.fail_with = "unknown report"
    collect(feed)
    fake_runner.fail_with = ""
    (run,) = collect(feed)
    assert run.status == RunStatus.DONE
    assert "If-None-Match" not in http_server.requests[1].headers


def test_gzip_transfer_is_decoded(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    body = b"line\n" * 10000
    http_server.resources["/big.csv"] = Resource(body=body, gzip=True)
    feed = http_feed(make_feed, http_server, "/big.csv")
    collect(feed)
    assert http_server.requests[0].headers["Accept-Encoding"] == "gzip"
    assert fake_runner.calls[0].content == body


def test_a_gzipped_or_zipped_file_is_unpacked(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    archive = BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("inside.csv", b"zipped")
    http_server.resources["/export.csv.gz"] = Resource(body=gzip.compress(b"gzipped"))
    http_server.resources["/export.zip"] = Resource(body=archive.getvalue())
    collect(http_feed(make_feed, http_server, "/export.csv.gz"))
    collect(http_feed(make_feed, http_server, "/export.zip"))
    assert [(call.file_name, call.content) for call in fake_runner.calls] == [
        ("export.csv", b"gzipped"),
        ("inside.csv", b"zipped"),
    ]


def test_the_file_name_comes_from_the_server_or_the_options(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    http_server.resources["/download?id=7"] = Resource(
        body=b"x",
        headers={"Content-Disposition": 'attachment; filename="../2024-05-01-scan_ssh.csv"'},
    )
    http_server.resources["/api/v1/export"] = Resource(body=b"y")
    collect(http_feed(make_feed, http_server, "/download?id=7"))
    collect(http_feed(make_feed, http_server, "/api/v1/export", file_name="named.csv"))
    assert fake_runner.names == ["2024-05-01-scan_ssh.csv", "named.csv"]


def test_a_slow_server_times_out(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner, settings: Any
) -> None:
    http_server.resources["/slow"] = Resource(body=b"late", delay=2)
    http_server.resources["/stall"] = Resource(body=b"x" * 1000, stall=2)
    started = time.monotonic()
    (slow,) = collect(http_feed(make_feed, http_server, "/slow", timeout=0.3))
    (stall,) = collect(http_feed(make_feed, http_server, "/stall", timeout=0.3))
    assert time.monotonic() - started < 3
    for run in (slow, stall):
        assert run.status == RunStatus.FAILED
        assert "time" in run.errors[0]
    assert fake_runner.calls == []
    assert spool_is_empty(settings)


def test_the_size_limit_is_enforced_while_streaming(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner, settings: Any
) -> None:
    settings.COLLECTOR_MAX_BYTES = 100_000
    http_server.resources["/endless"] = Resource(endless=True)
    http_server.resources["/announced"] = Resource(body=b"x" * 100_001)
    http_server.resources["/bomb"] = Resource(body=b"\0" * 5_000_000, gzip=True)
    for path in ("/endless", "/announced", "/bomb"):
        (run,) = collect(http_feed(make_feed, http_server, path))
        assert run.status == RunStatus.FAILED
        assert "larger than the limit of 100000 bytes" in run.errors[0], path
    assert fake_runner.calls == []
    assert spool_is_empty(settings)


def test_a_body_cut_short_is_refused(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    http_server.resources["/cut"] = Resource(body=b"x" * 100, announce=1000)
    (run,) = collect(http_feed(make_feed, http_server, "/cut"))
    assert "cut short" in run.errors[0]
    assert fake_runner.calls == []


@pytest.mark.parametrize(("status", "text"), [(500, "500"), (404, "404")])
def test_an_error_answer_gives_a_failed_run(
    make_feed: MakeFeed,
    http_server: FeedServer,
    fake_runner: FakeRunner,
    status: int,
    text: str,
) -> None:
    http_server.resources["/broken"] = Resource(status=status)
    path = "/broken" if status == 500 else "/missing"
    feed = http_feed(make_feed, http_server, path)
    (run,) = collect(feed)
    assert run.status == RunStatus.FAILED
    assert f"The server answered {text}" in run.errors[0]
    feed.refresh_from_db()
    assert "http" not in feed.collector_state
    assert feed.collector_state["last_attempt"]


def test_a_server_that_is_not_there(make_feed: MakeFeed, fake_runner: FakeRunner) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (run,) = collect(make_feed(Collector.HTTP, {"url": f"http://127.0.0.1:{port}/x"}))
    assert "Could not reach the server" in run.errors[0]


def test_secret_headers_come_from_the_environment(
    make_feed: MakeFeed,
    http_server: FeedServer,
    fake_runner: FakeRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_TEST_KEY", "k-123")
    monkeypatch.setenv("BAOBAB_FEED_TEST_PASSWORD", "pw")
    http_server.resources["/key/k-123/list"] = Resource(
        body=b"ok",
        require={"X-API-Key": "k-123", "Authorization": "Basic YWxpY2U6cHc=", "Accept": "text/csv"},
    )
    feed = http_feed(
        make_feed,
        http_server,
        "/key/${BAOBAB_FEED_TEST_KEY}/list",
        headers={"Accept": "text/csv"},
        header_env={"X-API-Key": "BAOBAB_FEED_TEST_KEY"},
        username="alice",
        password_env="BAOBAB_FEED_TEST_PASSWORD",
    )
    (run,) = collect(feed)
    assert run.status == RunStatus.DONE
    # The run and the state hold the placeholder, never the key.
    assert run.source.endswith("/key/${BAOBAB_FEED_TEST_KEY}/list")
    feed.refresh_from_db()
    assert "k-123" not in str(feed.collector_state)
    assert "k-123" not in str(feed.collector_options)


def test_a_missing_secret_gives_a_failed_run(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    feed = http_feed(make_feed, http_server, "/x", header_env={"X-Key": "BAOBAB_FEED_NOT_SET"})
    (run,) = collect(feed)
    assert "BAOBAB_FEED_NOT_SET is not set" in run.errors[0]
    assert http_server.requests == []


def test_secrets_follow_a_redirection_on_the_same_server_only(
    make_feed: MakeFeed,
    http_server: FeedServer,
    fake_runner: FakeRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BAOBAB_FEED_TEST_KEY", "k-123")
    with FeedServer() as other:
        other.resources["/elsewhere"] = Resource(body=b"from the other server")
        http_server.resources["/moved"] = Resource(redirect="/here")
        http_server.resources["/here"] = Resource(body=b"here", require={"X-API-Key": "k-123"})
        http_server.resources["/away"] = Resource(redirect=other.url("/elsewhere"))
        options = {"header_env": {"X-API-Key": "BAOBAB_FEED_TEST_KEY"}}

        (same,) = collect(http_feed(make_feed, http_server, "/moved", **options))
        (away,) = collect(http_feed(make_feed, http_server, "/away", **options))

        assert (same.status, away.status) == (RunStatus.DONE, RunStatus.DONE)
        assert [call.content for call in fake_runner.calls] == [b"here", b"from the other server"]
        assert "X-Api-Key" not in other.requests[0].headers
        assert "X-API-Key" not in other.requests[0].headers


def test_a_redirection_to_another_scheme_is_refused(
    make_feed: MakeFeed, http_server: FeedServer, fake_runner: FakeRunner
) -> None:
    http_server.resources["/file"] = Resource(redirect="file:///etc/passwd")
    (run,) = collect(http_feed(make_feed, http_server, "/file"))
    assert run.status == RunStatus.FAILED
    assert "file:///etc/passwd" in run.errors[0]
    assert fake_runner.calls == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "file:///etc/passwd"}, "http:// or https://"),
        ({"url": "ftp://example.org/x"}, "http:// or https://"),
        ({"url": "https://user:pw@example.org/x"}, "no user name or password in the url"),
        ({"url": "https://example.org/${SECRET_KEY}"}, "starts with BAOBAB_FEED_"),
        ({"url": "https://example.org/", "header_env": {"X": "DATABASE_URL"}}, "BAOBAB_FEED_"),
        ({"url": "https://example.org/", "headers": {"X": "a\r\nInjected: 1"}}, "line break"),
        ({"url": "https://example.org/", "timeout": "soon"}, "timeout must be a number"),
        ({"url": "https://example.org/", "username": "bob"}, "password_env"),
        ({"url": "https://example.org/", "ca_file": "/nonexistent.pem"}, "Cannot read the cert"),
    ],
)
def test_wrong_options_give_a_failed_run_and_no_request(
    make_feed: MakeFeed, fake_runner: FakeRunner, options: dict[str, Any], message: str
) -> None:
    (run,) = collect(make_feed(Collector.HTTP, options))
    assert run.status == RunStatus.FAILED
    assert message in run.errors[0]


def test_https_with_a_private_certificate_authority(
    make_feed: MakeFeed, fake_runner: FakeRunner, tls_files: TlsFiles
) -> None:
    with FeedServer(tls=tls_files.server_context()) as server:
        server.resources["/secure.csv"] = Resource(body=b"over tls")
        (untrusted,) = collect(make_feed(Collector.HTTP, {"url": server.url("/secure.csv")}))
        assert untrusted.status == RunStatus.FAILED
        assert "CERTIFICATE_VERIFY_FAILED" in untrusted.errors[0]
        trusted = make_feed(
            Collector.HTTP, {"url": server.url("/secure.csv"), "ca_file": str(tls_files.cert)}
        )
        (run,) = collect(trusted)
        with FeedServer() as plain:
            plain.resources["/x"] = Resource(body=b"in clear")
            server.resources["/down"] = Resource(redirect=plain.url("/x"))
            options = {"url": server.url("/down"), "ca_file": str(tls_files.cert)}
            (downgraded,) = collect(make_feed(Collector.HTTP, options))
    assert run.status == RunStatus.DONE
    assert fake_runner.calls[0].content == b"over tls"
    assert "which Baobab does not follow" in downgraded.errors[0]
    assert len(fake_runner.calls) == 1


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_real_runner(make_feed: MakeFeed, http_server: FeedServer) -> None:
    http_server.resources["/downloads/ipblocklist.csv"] = Resource(
        body=FEODO_CSV, etag='"feodo-1"', gzip=True
    )
    feed = http_feed(make_feed, http_server, "/downloads/ipblocklist.csv")

    (run,) = collect(feed)
    assert collect(feed) == []  # 304

    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.errors
    assert (run.parsed, run.stored) == (3, 3)
    assert Path(run.input_path).read_bytes() == FEODO_CSV
    assert feed.events.count() == 3

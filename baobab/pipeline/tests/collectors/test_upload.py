"""Uploads (the web page's and the API's): who may, size limit, archives."""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from baobab.core.choices import Role
from baobab.core.models import Team, User
from baobab.pipeline.choices import Collector, RunStatus
from baobab.pipeline.collectors import CollectorError, TooLargeError, receive_upload
from baobab.pipeline.models import Feed
from baobab.pipeline.tests.collectors.conftest import FEODO_CSV, FakeRunner

MakeFeed = Callable[..., Feed]


@pytest.fixture
def team(make_team: Callable[..., Team]) -> Team:
    return make_team("cert-xy")


@pytest.fixture
def feed(make_feed: MakeFeed, team: Team) -> Feed:
    return make_feed(Collector.UPLOAD, owner_team=team)


def analyst(make_user: Callable[..., User], team: Team) -> User:
    return make_user(team=team, role=Role.ANALYST)


def test_an_analyst_uploads_a_report(
    feed: Feed, team: Team, make_user: Callable[..., User], fake_runner: FakeRunner, settings: Any
) -> None:
    user = analyst(make_user, team)
    run = receive_upload(
        feed, BytesIO(b"rows"), file_name="C:\\Users\\me\\ipblocklist.csv", acting_user=user
    )
    assert run.status == RunStatus.DONE
    (call,) = fake_runner.calls
    assert (call.content, call.file_name, call.move) == (b"rows", "ipblocklist.csv", True)
    assert call.acting_user == user
    assert call.source == f"upload ({user.username})"
    assert not any((Path(settings.DATA_DIR) / "spool").iterdir())


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.VIEWER, False), (Role.ANALYST, True), (Role.ADMIN, True)]
)
def test_who_may_upload(
    *,
    feed: Feed,
    team: Team,
    make_team: Callable[..., Team],
    make_user: Callable[..., User],
    fake_runner: FakeRunner,
    role: Role,
    allowed: bool,
) -> None:
    def upload(user: User | None) -> bool:
        try:
            receive_upload(feed, BytesIO(b"x"), file_name="x.csv", acting_user=user)
        except PermissionDenied:
            return False
        return True

    assert upload(make_user(team=team, role=role)) is allowed
    assert upload(make_user(team=make_team(), role=Role.ADMIN)) is False
    assert upload(make_user(is_community_admin=True)) is True
    assert upload(None) is True  # the operator, at the command line
    assert len(fake_runner.calls) == 2 + allowed


def test_a_django_uploaded_file_and_a_gzip(feed: Feed, fake_runner: FakeRunner) -> None:
    upload = SimpleUploadedFile("report.csv.gz", gzip.compress(b"unzipped rows"))
    receive_upload(feed, upload, file_name=upload.name or "", acting_user=None)
    assert fake_runner.calls[0].file_name == "report.csv"
    assert fake_runner.calls[0].content == b"unzipped rows"
    assert fake_runner.calls[0].source == "upload (system)"


def test_a_zip_of_one_report_is_unpacked_and_of_several_refused(
    feed: Feed, fake_runner: FakeRunner
) -> None:
    def archive(*names: str) -> BytesIO:
        data = BytesIO()
        with zipfile.ZipFile(data, "w") as out:
            for name in names:
                out.writestr(name, name.encode())
        data.seek(0)
        return data

    receive_upload(feed, archive("one.csv"), file_name="x.zip", acting_user=None)
    assert fake_runner.names == ["one.csv"]
    with pytest.raises(CollectorError, match="several reports"):
        receive_upload(feed, archive("a.csv", "b.csv"), file_name="y.zip", acting_user=None)
    with pytest.raises(CollectorError, match="holds no report"):
        receive_upload(feed, archive(), file_name="z.zip", acting_user=None)
    assert len(fake_runner.calls) == 1


def test_too_large_or_disabled_is_refused(
    feed: Feed, fake_runner: FakeRunner, settings: Any
) -> None:
    settings.COLLECTOR_MAX_BYTES = 10
    with pytest.raises(TooLargeError):
        receive_upload(feed, BytesIO(b"x" * 11), file_name="big.csv", acting_user=None)
    with pytest.raises(TooLargeError):
        receive_upload(
            feed, BytesIO(gzip.compress(b"x" * 100)), file_name="bomb.gz", acting_user=None
        )
    receive_upload(feed, BytesIO(b"x" * 10), file_name="fits.csv", acting_user=None)
    feed.enabled = False
    feed.save()
    with pytest.raises(CollectorError, match="disabled"):
        receive_upload(feed, BytesIO(b"x"), file_name="x.csv", acting_user=None)
    assert fake_runner.names == ["fits.csv"]
    assert not any((Path(settings.DATA_DIR) / "spool").iterdir())


@pytest.mark.django_db(transaction=True)
def test_end_to_end_through_the_real_runner(make_feed: MakeFeed) -> None:
    feed = make_feed(Collector.UPLOAD)
    run = receive_upload(feed, BytesIO(FEODO_CSV), file_name="ipblocklist.csv", acting_user=None)
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.errors
    assert (run.parsed, run.stored) == (3, 3)
    assert run.source == "upload (system)"

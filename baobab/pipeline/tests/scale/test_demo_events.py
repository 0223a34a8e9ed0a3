"""The demo community comes with feeds and a few thousand events, generated
in the feeds' real formats and run through the real pipeline: routed to the
demo teams by their prefixes and countries, some unrouted, a few lines in
quarantine."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from baobab.directory import demo as directory_demo
from baobab.pipeline import demo as pipeline_demo
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.models import Event, Feed, FeedRun, QuarantinedRecord

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _data_folder(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.DATA_DIR = tmp_path  # where runs keep their reports


def test_baobab_demo_loads_feeds_and_routed_events() -> None:
    call_command("demo")

    feeds = {feed.name: feed for feed in Feed.objects.select_related("owner_team")}
    assert set(feeds) == {spec.name for spec in pipeline_demo.FEEDS}
    telnet_team = feeds["shadowserver-telnet-demo"].owner_team
    assert telnet_team is not None
    assert telnet_team.short_name == "AFR-CC-DEMO"
    assert set(FeedRun.objects.values_list("status", flat=True)) == {RunStatus.DONE}
    assert FeedRun.objects.count() == sum(spec.days for spec in pipeline_demo.FEEDS)

    events = Event.objects.all()
    assert 2_000 <= events.count() <= 6_000
    demo_teams = {spec.short_name for spec in directory_demo.TEAMS}
    routed_to = set(events.exclude(team=None).values_list("team__short_name", flat=True))
    assert len(routed_to) >= 8
    assert routed_to <= demo_teams
    unrouted = events.filter(team=None)
    assert 100 <= unrouted.count() <= events.count() // 3
    assert {"prefix", "country"} <= set(events.values_list("route_step", flat=True))
    # Every feed's events, IPv4 and IPv6, reach the teams.
    for feed in feeds.values():
        assert events.filter(feed=feed).exclude(team=None).exists()
    assert events.filter(source_ip__contains=":").exclude(team=None).exists()
    # An ISP's prefix inside its national team's block routes to that team as
    # the organisation's coordinator.
    assert events.filter(organisation__short_name="SAVANNA-NET-DEMO").exists()
    # The malformed lines wait in quarantine with their reasons.
    quarantined = QuarantinedRecord.objects.all()
    assert quarantined.count() >= 5
    assert all(record.reason and record.raw for record in quarantined)


def test_the_demo_events_are_loaded_once() -> None:
    directory_demo.load()
    first = pipeline_demo.load_events()
    assert first["feeds"] == 3
    assert first["events"] == Event.objects.count()
    assert pipeline_demo.load_events() == {}
    assert Event.objects.count() == first["events"]

"""The pipeline's pages in a real browser: a demo analyst's team runs a feed
whose report went through the pipeline; the analyst searches the events by
an IPv4 prefix and then an IPv6 prefix, opens one and reads its fields and
routing; another team's viewer finds none of them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from baobab.core.models import Team
from baobab.pipeline import runner
from baobab.pipeline.choices import RunStatus
from baobab.pipeline.services import create_feed

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# KE-CIRT-DEMO holds 192.0.2.0/27 and 2001:db8:100::/40 in the demo directory,
# SN-CERT-DEMO 192.0.2.32/27.
REPORT = """ip,asn,type,observed
192.0.2.5,64496,scanner,2024-05-01 10:00:00
192.0.2.6,64496,brute-force,2024-05-01 11:00:00
192.0.2.40,64497,scanner,2024-05-01 12:00:00
2001:db8:100::15,64496,ddos-amplifier,2024-05-01 13:00:00
"""


@pytest.fixture
def page(browser: Any, live_server: Any, settings: Any, tmp_path: Path) -> Any:
    settings.DATA_DIR = tmp_path / "data"
    call_command("demo")
    feed = create_feed(
        acting_user=None,
        name="browser-scans",
        parser="generic-csv",
        parser_options={
            "columns": {
                "ip": "source.ip",
                "asn": "source.asn",
                "type": "classification.type",
                "observed": "time.observation",
            }
        },
        owner_team=Team.objects.get(short_name="KE-CIRT-DEMO"),
    )
    path = tmp_path / "report.csv"
    path.write_text(REPORT)
    run = runner.start_run(feed, path, source="browser test")
    assert run.status == RunStatus.DONE, run.errors
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    yield page
    context.close()
    # The strict Content-Security-Policy must not have blocked anything.
    assert not [m for m in messages if "Content Security Policy" in m], messages


def _log_in(page: Any, username: str) -> None:
    page.goto("/")
    page.fill("#id_username", username)
    page.fill("#id_password", "baobab-demo")
    page.click("button[type=submit]:near(#id_password)")
    page.wait_for_load_state()
    assert "/account/login" not in page.url


def _search(page: Any, **fields: str) -> str:
    for name, value in fields.items():
        if page.locator(f"#event-search select#id_{name}").count():
            page.select_option(f"#id_{name}", value)
        else:
            page.fill(f"#id_{name}", value)
    page.click("#event-search button[type=submit]")
    page.wait_for_load_state()
    return str(page.inner_text("table#events tbody"))


def test_an_analyst_searches_events_by_prefix_and_opens_one(page: Any) -> None:
    _log_in(page, "analyst-ke")
    page.click("nav.main-nav >> text=Events")
    page.wait_for_load_state()
    assert page.url.rstrip("/").endswith("/pipeline/events")

    rows = _search(page, ip="192.0.2.0/28", feed="browser-scans")
    assert "192.0.2.5" in rows
    assert "192.0.2.6" in rows
    assert "192.0.2.40" not in rows
    assert "2001:db8:100::15" not in rows
    assert "2 events match" in page.inner_text("#event-count")
    assert page.input_value("#id_ip") == "192.0.2.0/28"  # the form keeps the search

    rows = _search(page, ip="2001:db8:100::/40")
    assert "2001:db8:100::15" in rows
    assert "192.0.2.5" not in rows
    page.screenshot(path="/tmp/baobab-events.png", full_page=True)

    page.click("table#events tbody a:text('2001:db8:100::15')")
    page.wait_for_load_state()
    assert "/pipeline/events/" in page.url
    routing = page.inner_text("#event-routing")
    assert "KE-CIRT-DEMO" in routing
    assert "2001:db8:100::/40" in routing
    fields = page.inner_text("#event-fields")
    assert "classification.type" in fields
    assert "ddos-amplifier" in fields
    assert "browser-scans" in fields
    page.screenshot(path="/tmp/baobab-event.png", full_page=True)

    # The feed's page shows the run that brought the events.
    page.click("#content a:text('browser-scans')")
    page.wait_for_load_state()
    assert "KE-CIRT-DEMO" in page.inner_text("table.runs")
    assert page.locator("#upload-form").count() == 1  # an analyst of the team submits reports
    page.screenshot(path="/tmp/baobab-feed.png", full_page=True)
    page.click("nav.main-nav >> text=Feeds")
    page.wait_for_load_state()
    assert "browser-scans" in page.inner_text("table#feeds")
    page.screenshot(path="/tmp/baobab-feeds.png", full_page=True)


def test_another_teams_viewer_finds_none_of_them(page: Any) -> None:
    _log_in(page, "viewer-ng")
    page.goto("/pipeline/events/?feed=browser-scans")
    assert "0 events match" in page.inner_text("#event-count")
